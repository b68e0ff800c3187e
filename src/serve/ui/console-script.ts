/**
 * The console's only script, served as /ui/assets/console.js (the CSP allows no inline script).
 * Kept as a string here because the build compiles only .ts files into .build/. It finds every
 * `[data-chart]` element, fetches its JSON from /ui/api/ (same origin, the session cookie sent)
 * and draws it with uPlot; what it drew is left on `window.spamxCharts[name]` so a test can
 * compare it with the endpoint. Plain ES2017, no build step.
 */
export const CONSOLE_SCRIPT = String.raw`(function () {
  'use strict';
  var charts = (window.spamxCharts = {});
  var PALETTE = ['#2f6db5', '#e07b22', '#3a9a4a', '#c43c3c', '#7b5ab5', '#8a6142', '#d063a8', '#6b6b6b', '#a8a82a', '#1fa5b5'];
  var HIGHLIGHT = '#c43c3c';
  var num = function (v) { return v == null ? '–' : Number(v).toLocaleString('en-US'); };

  /** Category x axis: one tick per bar, labelled with its category. */
  function categoryAxis(labels, label) {
    return {
      label: label,
      splits: function () { return labels.map(function (_, i) { return i; }); },
      values: function (u, splits) { return splits.map(function (i) { return labels[i] == null ? '' : labels[i]; }); },
      gap: 4,
      grid: { show: false },
    };
  }
  // Counts are whole: ticks at 1, 2, 5, 10, 20, 50, ... never at 0.25.
  var COUNT_INCRS = [];
  for (var mag = 1; mag <= 1e9; mag *= 10) COUNT_INCRS.push(mag, 2 * mag, 5 * mag);
  function valueAxis(label) {
    return { label: label, size: 70, incrs: COUNT_INCRS, values: function (u, splits) { return splits.map(num); } };
  }
  /** RFC 3339 dates on the time axis (UTC): the day, or the hour when the span is short. */
  function isoAxis(label) {
    return {
      label: label,
      space: 110,
      values: function (u, splits) {
        var span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
        return splits.map(function (s) {
          var iso = new Date(s * 1000).toISOString();
          return span > 2 * 86400 ? iso.slice(0, 10) : iso.slice(5, 10) + ' ' + iso.slice(11, 16);
        });
      },
    };
  }
  var isoTime = function (v) { return v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 19) + 'Z'; };
  function categoryScale(n) {
    return { time: false, range: function () { return [-0.5, Math.max(n, 1) - 0.5]; } };
  }
  function bars(opts) { return uPlot.paths.bars(Object.assign({ size: [0.7, 60] }, opts || {})); }

  /** One bar per category; \`colors\` (one per bar) singles some out, such as the centre's own country. */
  function categoryBars(labels, values, unit, key, axisLabel, color, colors) {
    var paths = colors ? bars({ disp: { fill: { unit: 3, values: function () { return colors; } } } }) : bars();
    return {
      labels: labels,
      series: [{ label: unit, values: values }],
      data: [labels.map(function (_, i) { return i; }), values],
      opts: {
        scales: { x: categoryScale(labels.length), y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
        axes: [categoryAxis(labels, axisLabel), valueAxis(unit)],
        series: [
          { label: key, value: function (u, v) { return v == null ? '–' : labels[v]; } },
          { label: unit, stroke: color, fill: color, width: 0, points: { show: false }, paths: paths, value: function (u, v) { return num(v); } },
        ],
      },
    };
  }

  var builders = {
    'list-size': function (json) {
      var x = json.points.map(function (p) { return Date.parse(p.at) / 1000; });
      var y = json.points.map(function (p) { return p.listed; });
      return {
        labels: json.points.map(function (p) { return p.at; }),
        series: [{ label: json.unit, values: y }],
        data: [x, y],
        opts: {
          tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
          scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
          axes: [isoAxis('time (UTC)'), valueAxis(json.unit)],
          series: [{ label: 'time', value: function (u, v) { return isoTime(v); } }, { label: json.unit, stroke: PALETTE[0], width: 2, fill: 'rgba(47,109,181,0.12)', points: { show: true, size: 6 }, value: function (u, v) { return num(v); } }],
        },
      };
    },
    'listings-by-month': function (json) {
      // Stacked bars: each source's bar drawn from the sources below it to their sum with it.
      var n = json.months.length;
      var sums = json.months.map(function () { return 0; });
      var stacked = json.sources.map(function (s) {
        return s.started.map(function (v, i) { return (sums[i] += v); });
      });
      var raw = json.sources.map(function (s) { return s.started; });
      return {
        labels: json.months,
        series: json.sources.map(function (s) { return { label: s.source, values: s.started }; }),
        data: [json.months.map(function (_, i) { return i; })].concat(stacked),
        opts: {
          scales: { x: categoryScale(n), y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
          axes: [categoryAxis(json.months, 'month (UTC)'), valueAxis(json.unit)],
          bands: stacked.slice(1).map(function (_, k) { return { series: [k + 2, k + 1] }; }),
          series: [{ label: 'month', value: function (u, v) { return v == null ? '–' : json.months[v]; } }].concat(
            json.sources.map(function (s, k) {
              var color = PALETTE[k % PALETTE.length];
              return { label: s.source, stroke: color, fill: color, width: 0, paths: bars(), points: { show: false },
                value: function (u, v, si, i) { return i == null ? '–' : num(raw[k][i]); } };
            }),
          ),
        },
      };
    },
    origins: function (json) {
      return categoryBars(json.countries.map(function (r) { return r.country; }), json.countries.map(function (r) { return r.pieces; }), json.unit,
        'country', 'origin country (ISO 3166-1)', PALETTE[0], json.countries.map(function (r) { return r.country === json.ownCountry ? HIGHLIGHT : PALETTE[0]; }));
    },
    refusals: function (json) {
      return categoryBars(json.codes.map(function (r) { return r.code; }), json.codes.map(function (r) { return r.count; }), json.unit,
        'code', 'reason (error code)', PALETTE[1], null);
    },
  };

  function draw(el) {
    var name = el.getAttribute('data-chart');
    var build = builders[name];
    if (!build) return Promise.resolve();
    return fetch(el.getAttribute('data-src'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error(name + ': ' + res.status);
        return res.json();
      })
      .then(function (json) {
        var chart = build(json);
        charts[name] = { labels: chart.labels, series: chart.series, drawn: null };
        if (chart.labels.length === 0) {
          el.textContent = 'No data yet.';
          el.setAttribute('data-drawn', 'empty');
          charts[name].drawn = [];
          return;
        }
        var opts = Object.assign({ width: Math.max(320, el.clientWidth), height: 260, legend: { live: true } }, chart.opts);
        var plot = new uPlot(opts, chart.data, el);
        charts[name].drawn = plot.data.map(function (col) { return Array.prototype.slice.call(col); });
        el.setAttribute('data-drawn', 'true');
      })
      .catch(function (err) {
        el.textContent = 'Could not draw this chart: ' + err.message;
        el.setAttribute('data-drawn', 'error');
      });
  }

  var all = Array.prototype.slice.call(document.querySelectorAll('[data-chart]'));
  window.spamxChartsReady = Promise.all(all.map(draw));
})();
`;

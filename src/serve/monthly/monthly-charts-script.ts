/**
 * The report's own script, inlined after uPlot: it reads the data from the page's
 * `<script type="application/json" id="monthly-data">` and draws each chart into its
 * `[data-chart]` element. Every figure is in the page's tables as well, so without scripts
 * (or printed) the report still says everything. What each chart drew is left in
 * `window.spamxMonthlyCharts` (uPlot's data arrays by chart name) and the count in
 * `document.body.dataset.chartsDrawn`, for whoever checks the drawing. Times are shown in UTC.
 * Plain ES5-style JavaScript: it runs as written, in whatever browser a partner opens it with.
 */
export const MONTHLY_CHARTS_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('monthly-data').textContent);
  var colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  var drawn = {};
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); };
  var seconds = function (iso) { return Date.parse(iso) / 1000; };
  var widthOf = function (el) { return Math.max(320, Math.min(960, el.clientWidth || 800)); };
  var fromZero = function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; };
  // Counts: whole-number steps on the y axis.
  var counts = { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8], size: 60 };
  // Days as MM-DD and hours as HH:00, in UTC, as the report's tables write times.
  var pad = function (n) { return n < 10 ? '0' + n : String(n); };
  var utcTicks = {
    space: 50,
    incrs: [3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400],
    values: function (u, splits) {
      return splits.map(function (s) {
        var d = new Date(s * 1000);
        return s % 86400 === 0 ? pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) : pad(d.getUTCHours()) + ':00';
      });
    }
  };

  function place(name, opts, columns) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el) return;
    opts.width = widthOf(el);
    opts.height = opts.height || 260;
    new uPlot(opts, columns, el);
    drawn[name] = columns;
  }

  function bars(name, labels, values, label, colour) {
    if (labels.length === 0) return;
    var xs = labels.map(function (_, i) { return i; });
    place(name, {
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: fromZero } },
      axes: [
        // Every label shown; slanted when there are too many to stand side by side.
        { space: 10, incrs: [1], rotate: labels.length > 8 ? -45 : 0, size: labels.length > 8 ? 80 : 40,
          values: function (u, splits) { return splits.map(function (s) { return labels[s] === undefined ? '' : labels[s]; }); } },
        counts
      ],
      legend: { show: false },
      series: [{}, { label: label, stroke: colour, fill: colour + 'aa', points: { show: false }, paths: uPlot.paths.bars({ size: [0.7, 60] }) }]
    }, [xs, values]);
  }

  // The merged list's size: a step line over the month, in UTC.
  place('list-size', {
    tzDate: utc,
    scales: { x: { time: true }, y: { range: fromZero } },
    axes: [utcTicks, counts],
    series: [{}, { label: 'listed', stroke: colours[0], fill: colours[0] + '22', paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }]
  }, [data.listSize.map(function (p) { return seconds(p.at); }), data.listSize.map(function (p) { return p.listed; })]);

  bars('sources', data.sources.map(function (s) { return s.source; }), data.sources.map(function (s) { return s.started; }), 'listings started', colours[0]);
  bars('countries', data.origin.countries.map(function (r) { return r.country; }), data.origin.countries.map(function (r) { return r.pieces; }), 'listings', colours[2]);
  bars('networks', data.origin.networks.map(function (r) { return r.asn === null ? '?' : 'AS' + r.asn; }), data.origin.networks.map(function (r) { return r.pieces; }), 'listings', colours[4]);
  bars('refusals', data.refusals.map(function (r) { return r.code; }), data.refusals.map(function (r) { return r.count; }), 'refused', colours[1]);

  // The months before: one line per source centre over the months' indexes.
  if (data.trend.sources.length > 0) {
    var months = data.trend.months;
    place('trend', {
      scales: { x: { time: false, range: [-0.5, months.length - 0.5] }, y: { range: fromZero } },
      axes: [{ space: 10, incrs: [1], values: function (u, splits) { return splits.map(function (s) { return months[s] === undefined ? '' : months[s]; }); } }, counts],
      series: [{ label: 'month', value: function (u, v) { return v === null || months[v] === undefined ? '' : months[v]; } }].concat(data.trend.sources.map(function (s, i) {
        return { label: s.source, stroke: colours[i % colours.length], width: 2, points: { show: true, size: 6 } };
      }))
    }, [months.map(function (_, i) { return i; })].concat(data.trend.sources.map(function (s) { return s.started; })));
  }

  window.spamxMonthlyCharts = drawn;
  document.body.dataset.chartsDrawn = String(Object.keys(drawn).length);
})();
`;

/** The console's stylesheet, served as /ui/assets/console.css (the CSP allows no inline style). */
export const CONSOLE_STYLE = `
:root { --fg: #1d2430; --muted: #5d6675; --line: #d9dee6; --bg: #f5f7fa; --accent: #2f6db5; --bad: #b42318; --good: #2e7d32; --warn: #a15c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 20px; padding: 10px 24px; background: #1d2430; color: #fff; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 16px; }
header.top .brand small { font-weight: 400; color: #aab3c2; margin-left: 6px; }
header.top nav { display: flex; gap: 4px; flex-wrap: wrap; }
header.top nav a { color: #d6dce6; text-decoration: none; padding: 5px 10px; border-radius: 4px; }
header.top nav a:hover { background: #2c3646; }
header.top nav a.active { background: var(--accent); color: #fff; }
header.top form { display: flex; gap: 6px; margin: 0; }
header.top .search { margin-left: auto; }
header.top input[type=search] { width: 200px; padding: 5px 8px; border-radius: 4px; border: 1px solid #3b4658; background: #111822; color: #fff; }
header.top button { padding: 5px 10px; border-radius: 4px; border: 1px solid #3b4658; background: #2c3646; color: #fff; cursor: pointer; }
main { padding: 18px 24px 40px; max-width: 1280px; }
h1 { font-size: 20px; margin: 4px 0 14px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; min-width: 0; }
.card p.note { color: var(--muted); margin: 4px 0 8px; font-size: 12.5px; }
.figures { display: flex; gap: 16px; flex-wrap: wrap; margin-bottom: 16px; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 170px; }
.figure b { display: block; font-size: 22px; }
.figure span { color: var(--muted); font-size: 12.5px; }
.chart { min-height: 300px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
.ok { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.alarm { border-left: 4px solid var(--bad); background: #fff4f2; padding: 8px 12px; margin: 8px 0; }
.flash { border-left: 4px solid var(--accent); background: #eef4fc; padding: 8px 12px; margin-bottom: 14px; }
.error { border-left: 4px solid var(--bad); background: #fff4f2; padding: 8px 12px; margin-bottom: 14px; }
form.inline { display: inline-flex; gap: 6px; margin: 0 0 4px; }
form.inline input[type=text] { width: 200px; padding: 4px 6px; }
.login { max-width: 380px; margin: 80px auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 24px; }
.login input { width: 100%; padding: 8px; margin: 8px 0 14px; font: inherit; }
.login button, .card button { padding: 6px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; font: inherit; }
.card button.reject { background: #fff; color: var(--bad); border-color: var(--bad); }
.peer { margin-bottom: 16px; }
.kv { display: grid; grid-template-columns: 190px 1fr; gap: 3px 12px; margin: 6px 0 10px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
pre.evidence { white-space: pre-wrap; word-break: break-all; background: #f6f8fa; padding: 8px; font-size: 12px; max-height: 220px; overflow: auto; }
.uplot { font-family: inherit; }
.u-legend { font-size: 12.5px; }
`;

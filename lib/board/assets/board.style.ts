/** The board's stylesheet (served as `<path>/assets/board.css`). @internal */
export const BOARD_CSS = String.raw`
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #1d1d21; --muted: #6b6b76; --card: #fff;
  --line: #dcdce2; --accent: #2f5fd0; --ok: #1f8a4c; --warn: #b7791f; --bad: #c53030; }
@media (prefers-color-scheme: dark) { :root { --bg: #15161a; --fg: #e6e6ea; --muted: #9a9aa6;
  --card: #1e1f24; --line: #33343c; --accent: #7ea2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
h1 { font-size: 1.1rem; margin: 0; }
h2 { font-size: .95rem; margin: 0 0 .5rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
h3 { font-size: 1rem; margin: 0; }
main { padding: 1rem; display: grid; gap: 1rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; min-width: 0; }
#mode { color: var(--warn); font-weight: 600; }
#report { margin-left: auto; color: var(--muted); }
#report.ok { color: var(--ok); } #report.error { color: var(--bad); }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: .8rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.bus { border-top: 1px solid var(--line); padding: .6rem 0; }
.table-wrap { overflow-x: auto; }
td.wrap { white-space: normal; word-break: break-all; min-width: 8rem; }
.bus:first-child { border-top: 0; }
.bus-head { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; margin-bottom: .4rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: .75rem; font-weight: 600; color: #fff; background: var(--muted); }
.badge.up { background: var(--ok); } .badge.degraded { background: var(--warn); } .badge.down { background: var(--bad); }
.badge.open { background: var(--bad); } .badge.half_open { background: var(--warn); } .badge.closed { background: var(--ok); }
.toolbar { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; margin-bottom: .5rem; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .15rem .4rem; }
button { cursor: pointer; }
button:hover { border-color: var(--accent); }
button.action { border-color: var(--accent); color: var(--accent); }
button.danger { border-color: var(--bad); color: var(--bad); }
button.link { border: 0; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; }
.scroll { max-height: 420px; overflow: auto; }
#stream-rows tr { cursor: pointer; }
#stream-rows tr:hover, #stream-rows tr.selected { background: color-mix(in srgb, var(--accent) 12%, transparent); }
#detail { border-left: 1px solid var(--line); padding-left: 1rem; min-width: 0; }
#detail pre { background: var(--bg); padding: .5rem; border-radius: 4px; overflow: auto; max-height: 300px; margin: .3rem 0; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .3rem 0; }
#detail dt { color: var(--muted); } #detail dd { margin: 0; word-break: break-all; }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 1.2rem; }
.tree { padding-left: 0; }
.tree li { margin: .15rem 0; }
.tree li > button { border: 1px solid var(--line); }
.tree li > button.focus { border-color: var(--accent); font-weight: 600; }
.tree ul { border-left: 1px dashed var(--line); }
`;

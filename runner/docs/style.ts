/** The page's stylesheet, inlined into index.html. System fonts only: nothing is fetched. */
export const STYLE = `
:root { --bg:#f7f7f5; --ink:#1f2328; --muted:#6b7280; --line:#d0d7de; --model:#2563eb; --source:#059669; --seed:#0d9488; --test:#7c3aed;
  --pii:#dc2626; --derived:#ea580c; --pseudo:#7c3aed; --unknown:#6b7280; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
* { box-sizing: border-box; }
body { margin:0; height:100vh; display:grid; grid-template-rows:auto minmax(0, 1fr); background:var(--bg); color:var(--ink); font-size:14px; }
header.top { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:8px 14px; background:#fff; border-bottom:1px solid var(--line); }
header.top h1 { font-size:17px; margin:0; }
header.top .meta { color:var(--muted); font-size:12px; flex-basis:100%; }
input[type=text], input[type=search] { font:inherit; padding:4px 8px; border:1px solid var(--line); border-radius:6px; }
#select { width:240px; } #exclude { width:140px; } #search { width:200px; }
button { font:inherit; padding:3px 10px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
button:hover { background:#eef2ff; }
.group { display:flex; gap:6px; align-items:center; position:relative; }
#types label { margin-right:8px; color:var(--muted); }
#search-results { position:absolute; top:30px; left:0; z-index:5; list-style:none; margin:0; padding:0; background:#fff; border:1px solid var(--line); border-radius:6px; min-width:260px; }
#search-results:empty { display:none; } #search-results li { padding:4px 8px; }
#select-errors .error { color:var(--pii); } .inconsistent { color:var(--pii); border-left:3px solid var(--pii); padding-left:8px; } #select-errors .warn { color:var(--derived); }
main { display:grid; grid-template-columns: minmax(0, 1fr) clamp(380px, 38vw, 560px); min-height:0; }
main.panel-closed { grid-template-columns: minmax(0, 1fr); } main.panel-closed #panel { display:none; }
#graph { width:100%; height:100%; min-height:0; background:#fbfbfa; cursor:grab; display:block; }
.ruler { visibility:hidden; }
#panel { overflow-y:auto; overflow-x:hidden; padding:14px 18px; background:#fff; border-left:1px solid var(--line); }
.band rect { fill:#eef1f5; stroke:#e1e5ea; } .band text { fill:#57606a; font-size:15px; font-weight:600; text-transform:uppercase; letter-spacing:.08em; }
.zone-trusted rect { fill:#eef6ff; } .zone-curated rect { fill:#f1f0ff; } .zone-audit rect { fill:#fff6ec; } .zone-landing rect { fill:#ecf8f3; }
.edge { fill:none; stroke:#9aa4b2; stroke-width:1.3; } .edge.hl { stroke:#1d4ed8; stroke-width:2.2; } .edge.dim { opacity:.15; }
.arrowhead { fill:#9aa4b2; }
.node { cursor:pointer; } .node > rect { fill:#fff; stroke-width:1.6; }
.node text.name, .ruler text.name { font-size:14px; font-weight:600; fill:var(--ink); } .node text.sub, .ruler text.sub { font-size:12px; fill:var(--muted); }
.badge { cursor:pointer; } .badge-text { font-size:12px; font-weight:600; } .badge .pill rect { stroke-width:1; }
.pill-pass rect { fill:#ecfdf5; stroke:#34d399; } .pill-pass text { fill:#047857; } .pill-warn rect { fill:#fffbeb; stroke:#f59e0b; } .pill-warn text { fill:#b45309; }
.pill-fail rect { fill:#fef2f2; stroke:var(--pii); } .pill-fail text { fill:var(--pii); } .pill-none rect { fill:#f3f4f6; stroke:#d1d5db; } .pill-none text { fill:var(--muted); }
.badge:hover .pill rect, .badge:focus .pill rect { stroke-width:2; }
.type-model > rect { stroke:var(--model); } .type-source > rect { stroke:var(--source); } .type-seed > rect { stroke:var(--seed); stroke-dasharray:4 2; }
.node.status-fail > rect, .node.status-error > rect { fill:#fef2f2; stroke:var(--pii); } .node.status-warn > rect { fill:#fffbeb; stroke:#f59e0b; }
.node.dim { opacity:.18; } .node.current > rect { stroke-width:3.5; filter: drop-shadow(0 1px 3px rgba(0,0,0,.25)); }
.pii-dot.pii-pii { fill:var(--pii); } .pii-dot.pii-derived { fill:var(--derived); } .pii-dot.pii-pseudonymised { fill:var(--pseudo); } .pii-dot.pii-unknown { fill:var(--unknown); }
.pii { display:inline-block; font-size:11px; padding:1px 6px; border-radius:9px; margin-left:4px; color:#fff; white-space:nowrap; }
.pii-pii { background:var(--pii); } .pii-derived { background:var(--derived); } .pii-pseudonymised { background:var(--pseudo); } .pii-unknown { background:var(--unknown); }
.tag { display:inline-block; font-size:10px; padding:0 5px; margin-left:4px; border:1px solid var(--line); border-radius:4px; color:var(--muted); }
#panel header { display:flex; align-items:baseline; gap:8px; } #panel h2 { margin:4px 0; font-size:20px; } #panel h3 { margin:18px 0 6px; font-size:15px; }
.kind { font-size:11px; text-transform:uppercase; padding:1px 6px; border-radius:4px; color:#fff; background:var(--model); }
.kind.type-source { background:var(--source); } .kind.type-seed { background:var(--seed); } .kind.type-test, .kind.type-unit_test { background:var(--test); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:8px 0; font-size:13px; } .facts dt { color:var(--muted); } .facts dd { margin:0; }
.description { color:#374151; } .muted { color:var(--muted); }
table { border-collapse:collapse; width:100%; font-size:13px; } th, td { text-align:left; vertical-align:top; padding:4px 6px; border-bottom:1px solid #eaeef2; }
th { color:var(--muted); font-weight:500; } td.type { color:var(--muted); font-family:ui-monospace, monospace; font-size:12px; }
tr.selected { background:#fff7d6; } table.columns { table-layout:fixed; } table.columns th:nth-child(1) { width:36%; } table.columns th:nth-child(2) { width:12%; } table.columns th:nth-child(3) { width:21%; }
 .desc { color:var(--muted); font-size:12px; margin-top:2px; }
td.from a, p a.downstream { display:inline-block; margin:1px 6px 1px 0; font-family:ui-monospace, monospace; font-size:12px; }
.via { font-size:10px; margin-left:3px; padding:0 4px; border-radius:3px; background:#eef2f7; color:#475569; font-family:system-ui, sans-serif; }
.via-pseudonymised { background:#ede9fe; color:var(--pseudo); } .via-condition { background:#f1f5f9; color:#94a3b8; }
.unresolved { display:block; color:#92400e; font-size:12px; }
#trace { background:#fffbea; border:1px solid #f5e3a3; border-radius:8px; padding:2px 12px 8px; margin:8px 0; } #trace h3 { margin-top:8px; }
ol.trace { list-style:none; padding:0; font-family:ui-monospace, monospace; font-size:12.5px; } ol.trace li { margin:3px 0; }
.result { font-size:13px; } .status-pass, .status-success { color:#047857; } .status-fail, .status-error { color:var(--pii); } .status-warn { color:#b45309; } .status-skipped, .status-none { color:var(--muted); }
.tabs { display:flex; gap:4px; } .tab.active { background:#1f2328; color:#fff; }
pre { background:#f6f8fa; border:1px solid var(--line); border-radius:6px; padding:10px; overflow:auto; font-size:12px; line-height:1.45; max-height:480px; }
a { color:#1d4ed8; text-decoration:none; } a:hover { text-decoration:underline; }
.deps a { margin-right:8px; } .zone-list { margin:0; padding-left:18px; }
.legend { display:flex; gap:6px; align-items:center; font-size:12px; color:var(--muted); }
#tests-popover { position:fixed; z-index:10; background:#fff; border:1px solid var(--line); border-radius:8px; box-shadow:0 6px 24px rgba(0,0,0,.16); overflow:auto; font-size:13px; }
#tests-popover header { display:flex; justify-content:space-between; align-items:center; gap:8px; padding:6px 10px; border-bottom:1px solid #eaeef2; position:sticky; top:0; background:#fff; }
#tests-popover .close { padding:0 8px; } #tests-popover ul { list-style:none; margin:0; padding:4px 10px 8px; } #tests-popover li { padding:4px 0; border-bottom:1px solid #f1f3f5; }
.mark { display:inline-block; width:1.2em; text-align:center; font-weight:700; } .state-pass { color:#047857; } .state-warn { color:#b45309; } .state-fail { color:var(--pii); } .state-none { color:var(--muted); }
table.counts { width:auto; min-width:260px; } table.counts th { color:var(--ink); font-weight:400; padding-right:24px; } table.counts tr.total th, table.counts tr.total td { font-weight:600; }
table.counts tr.sub th { padding-left:22px; color:var(--muted); } td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.check.ok { color:#047857; } .check.bad { color:var(--pii); font-weight:600; } .warn-note { color:#b45309; } #panel h4 { margin:14px 0 4px; font-size:13.5px; }
ul.findings { padding-left:18px; font-size:12.5px; color:#374151; } table.files-table { font-size:12.5px; }
/* Narrow windows: the panel goes below the graph, and the page scrolls */
@media (max-width: 1099px) {
  body { height:auto; min-height:100vh; display:block; }
  main { grid-template-columns: minmax(0, 1fr); }
  #graph { height:62vh; min-height:360px; }
  #panel { border-left:0; border-top:1px solid var(--line); overflow:visible; }
  #select { width:200px; } #search { width:160px; }
}
`;

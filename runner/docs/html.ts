/** index.html: one self-contained file, with the data, the script and the style inline. Pure. */
import type { DocsData } from './data.js';
import { STYLE } from './style.js';

/** Text that goes inside <script>: `</script` and `<!--` must not appear in it. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function renderIndexHtml(data: DocsData, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(data.project)} · lineage docs</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <h1>${esc(data.project)} · lineage</h1>
  <div class="group"><input type="search" id="search" placeholder="Search nodes" autocomplete="off"><ul id="search-results"></ul></div>
  <div class="group"><input type="text" id="select" placeholder="--select e.g. +machine_learning_curated" autocomplete="off"><input type="text" id="exclude" placeholder="--exclude" autocomplete="off"><button id="apply">Select</button><button id="reset">All</button><span id="select-count" class="muted"></span></div>
  <div class="group" id="types"></div>
  <div class="group"><button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">−</button><button id="zoom-fit" title="fit (never below a readable size: pan for the rest)">fit</button><button id="toggle-panel" title="hide or show the side panel">hide panel</button></div>
  <div class="legend">personal data: <span class="pii pii-pii">PII</span><span class="pii pii-derived">derived from PII</span><span class="pii pii-pseudonymised">pseudonymised</span><span class="pii pii-unknown">unverified</span></div>
  <div id="select-errors"></div>
  <div class="meta" id="meta"></div>
</header>
<main id="main">
  <svg id="graph" role="img" aria-label="lineage graph" data-ready="false"></svg>
  <aside id="panel"></aside>
</main>
<script type="application/json" id="stedi-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(script)}</script>
</body>
</html>
`;
}

// Entry point: reads the content path and datacenter from the page, builds the header, and
// renders the view for the current route. Each view gets an AbortSignal that fires when the
// route changes, which ends its blocking queries.
import { setDc, get } from './api.js';
import { html, render, esc, errorBox } from './dom.js';
import { Router, matchRoute } from './router.js';
import services from './services.js';
import { service, instance } from './service.js';
import nodes from './nodes.js';
import node from './node.js';
import kv from './kv.js';
import overview from './overview.js';

const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content || '';
let base = meta('consul-content-path');
if (!base || base.includes('%')) base = '/ui/';
if (!base.endsWith('/')) base += '/';
let localDc = meta('consul-datacenter');
if (!localDc || localDc.includes('%')) localDc = 'dc1';

const VIEWS = { services, service, instance, nodes, node, kv, overview };
const NAV = [['services', 'Services'], ['nodes', 'Nodes'], ['kv', 'Key/Value'], ['overview', 'Servers']];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const dcSelect = document.getElementById('dc-select');
let controller = null;
let datacenters = null;
let lastDc = null;
let first = true;

const router = new Router(base, route);

// UI paths: href(dc, 'services', name) with every segment encoded.
export const hrefFor = (dc) => (...segs) => base + [dc, ...segs].map((s) => encodeURIComponent(s)).join('/');

function setNav(dc, section) {
  const href = hrefFor(dc);
  render(nav, html`<ul>${NAV.map(([k, label]) => html`<li><a href="${href(k)}${k === 'kv' ? '/' : ''}"${
    k === section ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul>`);
}

async function loadDatacenters(dc) {
  if (!datacenters) {
    try { datacenters = await get('/v1/catalog/datacenters', { params: { dc: undefined } }); } catch { datacenters = [localDc]; }
  }
  const list = datacenters.includes(dc) ? datacenters : [...datacenters, dc];
  dcSelect.innerHTML = list.map((d) => `<option${d === dc ? ' selected' : ''}>${esc(d)}</option>`).join('');
}

dcSelect.addEventListener('change', () => {
  const { segs } = router.current();
  const section = ['services', 'nodes', 'kv', 'overview'].includes(segs[0]) ? segs[0] : 'services';
  router.navigate(hrefFor(dcSelect.value)(section) + (section === 'kv' ? '/' : ''));
});

function route() {
  if (controller) controller.abort();
  controller = new AbortController();
  const { dc, segs, query } = router.current();
  if (!dc) { router.navigate(hrefFor(localDc)('services'), { replace: true }); return; }
  const r = matchRoute(segs);
  if (r.view === 'redirect') { router.navigate(hrefFor(dc)(r.to), { replace: true }); return; }
  setDc(dc);
  setNav(dc, { instance: 'services', service: 'services', node: 'nodes', kv: 'kv' }[r.view] || r.view);
  if (dc !== lastDc) { lastDc = dc; loadDatacenters(dc); }
  const ctx = {
    el: main, dc, localDc, base, query, route: r, router, signal: controller.signal,
    href: hrefFor(dc),
    setTitle: (t) => { document.title = `${t} - Consul`; },
    navigate: (p, o) => router.navigate(p, o),
  };
  const view = VIEWS[r.view];
  if (!view) {
    ctx.setTitle('Not found');
    render(main, html`<h1>Page not found</h1><p>There is no page at <code>${location.pathname}</code>.</p>
      <p><a href="${ctx.href('services')}">Go to services</a></p>`);
    return;
  }
  render(main, html`<p class="loading" role="status">Loading…</p>`);
  try {
    view(ctx);
  } catch (e) {
    render(main, errorBox(e));
  }
  // After a navigation the clicked link has gone with the old view: move focus to the new content
  // (not on the first load, so that Tab still reaches the skip link first).
  if (!first && (!document.activeElement || document.activeElement === document.body)) main.focus({ preventScroll: true });
  first = false;
  if (!location.hash) window.scrollTo(0, 0);
}

route();

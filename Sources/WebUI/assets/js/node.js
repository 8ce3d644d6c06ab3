// Node detail: checks, service instances, lock sessions, round-trip time and metadata.
// /v1/internal/ui/node/<node> and /v1/session/node/<node> are followed as blocking queries.
import { watch, get, request } from './api.js';
import { html, render, statusBadge, tags, worstOf, checksList, metaTable, errorBox, fmtMs, announce, $ } from './dom.js';
import { leaderNode } from './nodes.js';

// Vivaldi distance in seconds (Consul's lib.ComputeDistance).
export function rtt(a, b) {
  if (!a || !b || !a.Vec || !b.Vec || a.Vec.length !== b.Vec.length) return null;
  let sum = 0;
  for (let i = 0; i < a.Vec.length; i++) sum += (a.Vec[i] - b.Vec[i]) ** 2;
  const d = Math.sqrt(sum) + a.Height + b.Height;
  const adjusted = d + a.Adjustment + b.Adjustment;
  return adjusted > 0 ? adjusted : d;
}

const SECTIONS = { 'health-checks': 'health-checks', services: 'service-instances', 'service-instances': 'service-instances',
  'lock-sessions': 'lock-sessions', rtt: 'round-trip-time', 'round-trip-time': 'round-trip-time', metadata: 'metadata' };

const dur = (ns) => (typeof ns === 'number' ? (ns >= 1e9 ? ns / 1e9 + 's' : ns / 1e6 + 'ms') : ns || '');

export default function node(ctx) {
  const name = ctx.route.node;
  ctx.setTitle(name);
  let scrolled = false;
  render(ctx.el, html`<nav class="crumbs" aria-label="Breadcrumb"><a href="${ctx.href('nodes')}">Nodes</a> /</nav>
    <div class="page-head"><h1>${name} <span id="node-status"></span> <span id="node-leader"></span></h1></div>
    <div id="node-error"></div>
    <div id="node-facts"></div>
    <nav class="toc" aria-label="On this page"><a href="#health-checks">Health checks</a><a href="#service-instances">Service instances</a><a href="#lock-sessions">Lock sessions</a><a href="#round-trip-time">Round-trip time</a><a href="#metadata">Metadata</a></nav>
    <section id="health-checks" aria-labelledby="h-checks"><h2 id="h-checks">Health checks</h2><div id="node-checks"><p class="loading">Loading…</p></div></section>
    <section id="service-instances" aria-labelledby="h-svcs"><h2 id="h-svcs">Service instances</h2><div id="node-services"></div></section>
    <section id="lock-sessions" aria-labelledby="h-sess"><h2 id="h-sess">Lock sessions</h2><div id="node-sessions"><p class="loading">Loading…</p></div></section>
    <section id="round-trip-time" aria-labelledby="h-rtt"><h2 id="h-rtt">Round-trip time</h2><div id="node-rtt"><p class="loading">Loading…</p></div></section>
    <section id="metadata" aria-labelledby="h-meta"><h2 id="h-meta">Metadata</h2><div id="node-meta"></div></section>`);

  const scrollToTab = () => {
    if (scrolled) return;
    scrolled = true;
    const id = SECTIONS[ctx.route.tab];
    if (id && id !== 'health-checks') document.getElementById(id)?.scrollIntoView();
  };

  async function showRtt() {
    try {
      const [self, coords] = await Promise.all([get('/v1/agent/self', { signal: ctx.signal, params: { dc: undefined } }), get('/v1/coordinate/nodes', { signal: ctx.signal })]);
      const mine = (coords || []).find((c) => c.Node === name);
      if (!mine) { render($('#node-rtt', ctx.el), html`<p class="muted">No network coordinates for this node yet.</p>`); return; }
      const others = coords.filter((c) => c.Node !== name).map((c) => rtt(mine.Coord, c.Coord)).filter((x) => x !== null).sort((a, b) => a - b);
      const agentNode = self.Config.NodeName;
      const fromAgent = ctx.dc === self.Config.Datacenter ? rtt(self.Coord, mine.Coord) : null;
      const stat = (label, v) => html`<div><dt>${label}</dt><dd>${v === null || v === undefined ? '–' : fmtMs(v)}</dd></div>`;
      render($('#node-rtt', ctx.el), html`<dl class="facts">
        ${agentNode === name ? html`<div><dt>From this agent</dt><dd>this agent's own node</dd></div>`
          : stat(`From this agent (${agentNode})`, fromAgent)}
        ${stat('Minimum to other nodes', others[0])}
        ${stat('Median', others.length ? others[Math.floor((others.length - 1) / 2)] : null)}
        ${stat('Maximum', others[others.length - 1])}</dl>`);
    } catch (e) {
      if (!ctx.signal.aborted) render($('#node-rtt', ctx.el), errorBox(e));
    }
  }

  watch(`/v1/internal/ui/node/${encodeURIComponent(name)}`, {
    signal: ctx.signal,
    async onData(n) {
      $('#node-error', ctx.el).innerHTML = '';
      render($('#node-status', ctx.el), statusBadge(worstOf(n.Checks)));
      const ta = Object.entries(n.TaggedAddresses || {}).map(([k, v]) => html`<span class="tag">${k}: ${v}</span> `);
      render($('#node-facts', ctx.el), html`<dl class="facts">
        <div><dt>Address</dt><dd class="mono">${n.Address}</dd></div>
        <div><dt>ID</dt><dd class="mono">${n.ID}</dd></div>
        ${ta.length ? html`<div><dt>Tagged addresses</dt><dd>${ta}</dd></div>` : ''}</dl>`);
      render($('#node-checks', ctx.el), checksList(n.Checks));
      const svcs = [...(n.Services || [])].sort((a, b) => a.Service.localeCompare(b.Service) || a.ID.localeCompare(b.ID));
      render($('#node-services', ctx.el), svcs.length ? html`<table class="grid"><thead><tr><th scope="col">Service</th><th scope="col">ID</th><th scope="col">Address</th><th scope="col">Tags</th></tr></thead><tbody>${
        svcs.map((s) => html`<tr><td><a href="${ctx.href('services', s.Service, 'instances')}">${s.Service}</a></td>
          <td><a href="${ctx.href('services', s.Service, 'instances', name, s.ID, 'health-checks')}">${s.ID}</a></td>
          <td class="mono">${s.Address || n.Address}${s.Port ? ':' + s.Port : ''}</td><td>${tags(s.Tags)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No services on this node.</p>`);
      render($('#node-meta', ctx.el), metaTable(n.Meta));
      scrollToTab();
      const l = await leaderNode(ctx.signal);
      if (!ctx.signal.aborted) render($('#node-leader', ctx.el), l.node === name ? html`<span class="badge leader">★ Leader</span>` : '');
      showRtt();
    },
    onError(e) {
      render($('#node-error', ctx.el), e.status === 404 ? html`<div class="error" role="alert">Node <strong>${name}</strong> was not found in this datacenter.</div>` : errorBox(e));
    },
  });

  watch(`/v1/session/node/${encodeURIComponent(name)}`, {
    signal: ctx.signal,
    onData(list) {
      list = list || [];
      render($('#node-sessions', ctx.el), list.length ? html`<table class="grid"><thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Behavior</th><th scope="col">TTL</th><th scope="col">Lock delay</th><th scope="col">Checks</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead><tbody>${
        list.map((s) => html`<tr><td class="mono">${s.ID}</td><td>${s.Name}</td><td>${s.Behavior}</td><td>${s.TTL}</td><td>${dur(s.LockDelay)}</td>
          <td>${tags([...(s.NodeChecks || s.Checks || []), ...(s.ServiceChecks || []).map((c) => c.ID)])}</td>
          <td><button type="button" class="danger small" data-destroy="${s.ID}">Invalidate</button></td></tr>`)}</tbody></table>`
        : html`<p class="muted">No lock sessions on this node.</p>`);
    },
    onError(e) { render($('#node-sessions', ctx.el), errorBox(e)); },
  });

  $('#node-sessions', ctx.el).addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-destroy]');
    if (!b || !confirm(`Invalidate session ${b.dataset.destroy}? Locks it holds are released.`)) return;
    try {
      await request('PUT', `/v1/session/destroy/${encodeURIComponent(b.dataset.destroy)}`);
      announce('Session invalidated');
    } catch (err) { render($('#node-sessions', ctx.el), errorBox(err)); }
  });
}

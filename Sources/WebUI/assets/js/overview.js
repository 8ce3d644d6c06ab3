// Servers overview: Raft peers, leader, voters, autopilot health and failure tolerance.
// These endpoints do not block, so the page polls every 3 s.
import { get, poll } from './api.js';
import { html, render, statusBadge, errorBox, $ } from './dom.js';

const yes = (b) => (b ? 'yes' : 'no');

export default function overview(ctx) {
  ctx.setTitle('Servers');
  render(ctx.el, html`<div class="page-head"><h1>Servers</h1></div><div id="ov-error"></div>
    <div id="ov-cards" class="stats"><p class="loading" role="status">Loading…</p></div>
    <h2>Raft peers</h2><div id="ov-table"></div>`);
  poll(async () => {
    const [cfg, health] = await Promise.all([
      get('/v1/operator/raft/configuration', { signal: ctx.signal }),
      get('/v1/operator/autopilot/health', { signal: ctx.signal }).catch((e) => ({ error: e })),
    ]);
    if (ctx.signal.aborted) return;
    $('#ov-error', ctx.el).innerHTML = '';
    const servers = cfg.Servers || [];
    const hs = new Map(((health && health.Servers) || []).map((s) => [s.ID, s]));
    const leader = servers.find((s) => s.Leader);
    const voters = servers.filter((s) => s.Voter).length;
    const card = (label, value, extra = '') => html`<div class="stat"><div class="stat-label">${label}</div><div class="stat-value">${value}</div>${extra}</div>`;
    render($('#ov-cards', ctx.el), html`
      ${card('Leader', leader ? leader.Node : 'none', leader ? html`<div class="muted mono">${leader.Address}</div>` : html`<div class="c-critical">No leader elected</div>`)}
      ${card('Servers', servers.length, html`<div class="muted">${voters} voting</div>`)}
      ${health.error ? card('Autopilot', 'unavailable', html`<div class="muted">${health.error.message}</div>`)
        : html`${card('Autopilot', statusBadge(health.Healthy ? 'passing' : 'critical', health.Healthy ? 'healthy' : 'unhealthy'), html`<div class="muted">${health.Healthy ? 'all servers healthy' : 'a server is unhealthy'}</div>`)}
          ${card('Failure tolerance', health.FailureTolerance, html`<div class="muted">servers that can fail without losing quorum</div>`)}`}`);
    render($('#ov-table', ctx.el), html`<table class="grid" aria-label="Raft peers"><thead><tr>
      <th scope="col">Server</th><th scope="col">Address</th><th scope="col">Role</th><th scope="col">Voter</th><th scope="col">Health</th>
      <th scope="col">Serf</th><th scope="col">Last contact</th><th scope="col">Last index</th><th scope="col">Version</th><th scope="col">Stable since</th></tr></thead>
      <tbody>${servers.map((s) => {
        const h = hs.get(s.ID) || {};
        return html`<tr data-server="${s.Node}"><td><a href="${ctx.href('nodes', s.Node, 'health-checks')}">${s.Node}</a></td><td class="mono">${s.Address}</td>
          <td>${s.Leader ? html`<span class="badge leader">★ Leader</span>` : 'follower'}</td><td>${yes(s.Voter)}</td>
          <td>${h.Healthy === undefined ? '–' : statusBadge(h.Healthy ? 'passing' : 'critical', h.Healthy ? 'healthy' : 'unhealthy')}</td><td>${h.SerfStatus || '–'}</td>
          <td>${h.LastContact || '–'}</td><td>${h.LastIndex ?? s.LastIndex ?? '–'}</td><td>${h.Version || '–'}</td><td>${h.StableSince ? new Date(h.StableSince).toLocaleString() : '–'}</td></tr>`;
      })}</tbody></table>`);
  }, { signal: ctx.signal, onError: (e) => render($('#ov-error', ctx.el), errorBox(e)) });
}

// Nodes list: /v1/internal/ui/nodes (blocking), with health, address, service count and a
// leader badge (the Raft leader's node name from /v1/operator/raft/configuration).
import { watch, get } from './api.js';
import { html, render, statusBadge, healthSummary, worstOf, counts, errorBox, announce, plural, $ } from './dom.js';

export async function leaderNode(signal) {
  try {
    const cfg = await get('/v1/operator/raft/configuration', { signal });
    const l = (cfg.Servers || []).find((s) => s.Leader);
    if (l) return { node: l.Node, address: l.Address };
  } catch { /* not a server, or another datacenter: fall back to the address */ }
  try { return { node: null, address: await get('/v1/status/leader', { signal }) }; } catch { return { node: null, address: '' }; }
}

export default function nodes(ctx) {
  ctx.setTitle('Nodes');
  let all = [], leader = { node: null, address: '' };
  const st = { filter: ctx.query.get('filter') || '', status: ctx.query.get('status') || '' };
  const opt = (v, label) => html`<option value="${v}"${v === st.status ? html` selected` : ''}>${label}</option>`;
  render(ctx.el, html`<div class="page-head"><h1>Nodes <span class="count" id="node-count"></span></h1></div>
    <form class="toolbar" role="search" aria-label="Filter nodes" id="node-form">
      <div class="field grow"><label for="node-filter">Search</label><input type="search" id="node-filter" value="${st.filter}" placeholder="Node name or address" autocomplete="off"></div>
      <div class="field"><label for="node-status">Health</label><select id="node-status">${opt('', 'Any health')}${opt('passing', 'Passing')}${opt('warning', 'Warning')}${opt('critical', 'Critical')}</select></div>
    </form>
    <div id="node-error"></div>
    <table class="grid nodes" aria-label="Nodes">
      <thead><tr><th scope="col">Node</th><th scope="col">Health</th><th scope="col">Address</th><th scope="col">Services</th></tr></thead>
      <tbody id="node-rows"></tbody></table>
    <p id="node-empty" class="empty" hidden></p>`);
  const form = $('#node-form', ctx.el);
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('input', () => {
    st.filter = $('#node-filter', form).value; st.status = $('#node-status', form).value;
    const p = new URLSearchParams();
    if (st.filter) p.set('filter', st.filter);
    if (st.status) p.set('status', st.status);
    history.replaceState(null, '', location.pathname + (p.toString() ? '?' + p : ''));
    paint();
    announce(`${plural($('#node-rows', ctx.el).rows.length, 'node')} shown`);
  });

  const isLeader = (n) => (leader.node ? n.Node === leader.node : leader.address && leader.address.split(':')[0] === n.Address && all.length === 1);

  function paint() {
    const f = st.filter.trim().toLowerCase();
    const shown = all.filter((n) => (!f || n.Node.toLowerCase().includes(f) || n.Address.includes(f)) && (!st.status || worstOf(n.Checks) === st.status));
    $('#node-count', ctx.el).textContent = all.length ? `${shown.length === all.length ? '' : shown.length + ' of '}${all.length}` : '';
    render($('#node-rows', ctx.el), shown.map((n) => {
      const c = counts(n.Checks);
      return html`<tr data-node="${n.Node}"><td><a href="${ctx.href('nodes', n.Node, 'health-checks')}">${n.Node}</a>${
        isLeader(n) ? html` <span class="badge leader" title="Raft leader">★ Leader</span>` : ''}</td>
        <td>${statusBadge(worstOf(n.Checks))} ${healthSummary(c.passing, c.warning, c.critical)}</td>
        <td class="mono">${n.Address}</td><td>${(n.Services || []).length}</td></tr>`;
    }).join(''));
    const empty = $('#node-empty', ctx.el);
    empty.hidden = shown.length > 0;
    empty.textContent = all.length ? 'No nodes match the filters.' : 'No nodes.';
  }

  watch('/v1/internal/ui/nodes', {
    signal: ctx.signal,
    async onData(data) {
      all = (data || []).sort((a, b) => a.Node.localeCompare(b.Node));
      $('#node-error', ctx.el).innerHTML = '';
      paint();
      leader = await leaderNode(ctx.signal);
      if (!ctx.signal.aborted) paint();
    },
    onError(e) { render($('#node-error', ctx.el), errorBox(e)); },
  });
}

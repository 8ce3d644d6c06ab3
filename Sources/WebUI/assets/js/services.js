// Services list: /v1/internal/ui/services as a blocking query; filter by text, health and tag;
// sort. Only the rows in view are in the DOM (fixed row height, spacer rows), so thousands of
// services render at once; links are handled by the router's single click listener.
import { watch } from './api.js';
import { html, render, statusBadge, healthSummary, tags, worst, errorBox, announce, plural, $ } from './dom.js';

const RANK = { critical: 0, warning: 1, passing: 2 };
const SORTS = {
  'name:asc': ['Name A–Z', (a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)],
  'name:desc': ['Name Z–A', (a, b) => (a.Name < b.Name ? 1 : a.Name > b.Name ? -1 : 0)],
  'status:asc': ['Unhealthy first', (a, b) => RANK[a.status] - RANK[b.status] || (a.Name < b.Name ? -1 : 1)],
  'instances:desc': ['Most instances', (a, b) => b.InstanceCount - a.InstanceCount || (a.Name < b.Name ? -1 : 1)],
};
const OVERSCAN = 10;

export default function services(ctx) {
  ctx.setTitle('Services');
  const q = ctx.query;
  const st = { filter: q.get('filter') || '', status: q.get('status') || '', tag: q.get('tag') || '', sort: SORTS[q.get('sort')] ? q.get('sort') : 'name:asc' };
  let all = [], shown = [], rowH = 0, win = [-1, -1], tagList = '';
  const opt = (v, label, cur) => html`<option value="${v}"${v === cur ? html` selected` : ''}>${label}</option>`;

  render(ctx.el, html`
    <div class="page-head"><h1>Services <span class="count" id="svc-count"></span></h1></div>
    <form class="toolbar" role="search" aria-label="Filter services" id="svc-form">
      <div class="field grow"><label for="svc-filter">Search</label><input type="search" id="svc-filter" value="${st.filter}" placeholder="Service name or tag" autocomplete="off"></div>
      <div class="field"><label for="svc-status">Health</label><select id="svc-status">${opt('', 'Any health', st.status)}${['passing', 'warning', 'critical'].map((s) => opt(s, s[0].toUpperCase() + s.slice(1), st.status))}</select></div>
      <div class="field"><label for="svc-tag">Tag</label><select id="svc-tag">${opt('', 'Any tag', st.tag)}${st.tag ? opt(st.tag, st.tag, st.tag) : ''}</select></div>
      <div class="field"><label for="svc-sort">Sort</label><select id="svc-sort">${Object.entries(SORTS).map(([k, [label]]) => opt(k, label, st.sort))}</select></div>
    </form>
    <div id="svc-error"></div>
    <table class="grid services" id="svc-table" aria-label="Services">
      <colgroup><col class="c-name"><col class="c-health"><col class="c-inst"><col class="c-tags"></colgroup>
      <thead><tr><th scope="col">Service</th><th scope="col">Health</th><th scope="col">Instances</th><th scope="col">Tags</th></tr></thead>
      <tbody id="svc-rows"></tbody>
    </table>
    <p id="svc-empty" class="empty" hidden></p>`);

  const tbody = $('#svc-rows', ctx.el), table = $('#svc-table', ctx.el), empty = $('#svc-empty', ctx.el);
  const form = $('#svc-form', ctx.el);
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('input', (e) => {
    st.filter = $('#svc-filter', form).value; st.status = $('#svc-status', form).value;
    st.tag = $('#svc-tag', form).value; st.sort = $('#svc-sort', form).value;
    const p = new URLSearchParams();
    for (const k of ['filter', 'status', 'tag']) if (st[k]) p.set(k, st[k]);
    if (st.sort !== 'name:asc') p.set('sort', st.sort);
    history.replaceState(null, '', location.pathname + (p.toString() ? '?' + p : ''));
    apply(true);
  });

  const row = (s, i) => html`<tr aria-rowindex="${i + 2}"><td><a href="${ctx.href('services', s.Name, 'instances')}">${s.Name}</a>${
    s.Kind ? html` <span class="tag kind">${s.Kind}</span>` : ''}</td><td>${statusBadge(s.status)} ${healthSummary(s.ChecksPassing, s.ChecksWarning, s.ChecksCritical)}</td><td>${
    s.InstanceCount}</td><td>${tags(s.Tags)}</td></tr>`;

  function paint(force) {
    const n = shown.length;
    if (!n) { tbody.innerHTML = ''; win = [-1, -1]; return; }
    const h = rowH || 41;
    const top = -tbody.getBoundingClientRect().top;
    let start = Math.max(0, Math.floor(top / h) - OVERSCAN);
    start = Math.min(start, Math.max(0, n - 1));
    const end = Math.min(n, start + Math.ceil(window.innerHeight / h) + 2 * OVERSCAN);
    if (!force && start === win[0] && end === win[1]) return;
    win = [start, end];
    let out = start ? `<tr class="spacer" aria-hidden="true"><td colspan="4" style="height:${start * h}px"></td></tr>` : '';
    for (let i = start; i < end; i++) out += row(shown[i], i);
    if (end < n) out += `<tr class="spacer" aria-hidden="true"><td colspan="4" style="height:${(n - end) * h}px"></td></tr>`;
    // Keep keyboard focus on the same link when the window moves under it (Tab scrolls the page).
    const active = tbody.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
    tbody.innerHTML = out;
    if (active) tbody.querySelector(`a[href="${CSS.escape(active)}"]`)?.focus({ preventScroll: true });
    if (!rowH) {
      const r = tbody.querySelector('tr:not(.spacer)');
      if (r) { rowH = r.getBoundingClientRect().height || 41; paint(true); }
    }
  }

  function apply(fromInput) {
    const f = st.filter.trim().toLowerCase();
    shown = all.filter((s) => (!f || s.lc.includes(f)) && (!st.status || s.status === st.status) && (!st.tag || (s.Tags || []).includes(st.tag)));
    shown.sort(SORTS[st.sort][1]);
    table.setAttribute('aria-rowcount', shown.length + 1);
    $('#svc-count', ctx.el).textContent = all.length ? `${shown.length === all.length ? '' : shown.length + ' of '}${all.length}` : '';
    empty.hidden = shown.length > 0;
    empty.textContent = all.length ? 'No services match the filters.' : 'There are no services registered in this datacenter.';
    paint(true);
    if (fromInput) announce(`${plural(shown.length, 'service')} shown`);
  }

  function setTags() {
    const set = new Set();
    for (const s of all) for (const t of s.Tags || []) set.add(t);
    const list = [...set].sort();
    const key = list.join('\0');
    if (key === tagList) return;
    tagList = key;
    if (st.tag && !set.has(st.tag)) list.unshift(st.tag);
    render($('#svc-tag', ctx.el), html`${opt('', 'Any tag', st.tag)}${list.map((t) => opt(t, t, st.tag))}`);
  }

  addEventListener('scroll', () => paint(false), { passive: true, signal: ctx.signal });
  addEventListener('resize', () => paint(false), { passive: true, signal: ctx.signal });

  watch('/v1/internal/ui/services', {
    signal: ctx.signal,
    onData(data) {
      $('#svc-error', ctx.el).innerHTML = '';
      all = (data || []).map((s) => ({ ...s, status: worst(s.ChecksPassing, s.ChecksWarning, s.ChecksCritical), lc: (s.Name + '\0' + (s.Tags || []).join('\0')).toLowerCase() }));
      setTags();
      apply(false);
      table.dataset.loaded = 'true';
    },
    onError(e) { render($('#svc-error', ctx.el), errorBox(e)); },
  });
}

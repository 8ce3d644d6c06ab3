// Small DOM helpers: an escaping html`` template, status badges, formatting.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

class Raw { constructor(s) { this.s = s; } toString() { return this.s; } }
export const raw = (s) => new Raw(s);

function part(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

// html`<p>${text}</p>` escapes every interpolation unless it is raw() or another html`` result.
export function html(strings, ...vals) {
  let out = strings[0];
  for (let i = 0; i < vals.length; i++) out += part(vals[i]) + strings[i + 1];
  return new Raw(out);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function render(el, content) { el.innerHTML = String(content); }

const ICON = { passing: '✓', warning: '!', critical: '✕', maintenance: '⏸' };
export function statusBadge(status, label) {
  const s = ICON[status] ? status : 'unknown';
  return html`<span class="badge st-${s}"><span aria-hidden="true">${ICON[s] || '?'}</span> ${label || status || 'unknown'}</span>`;
}

// The worst status of a list of checks (or counts).
export function worst(p, w, c) {
  if (c > 0) return 'critical';
  if (w > 0) return 'warning';
  return 'passing';
}
export function worstOf(checks) {
  let w = 0, c = 0;
  for (const k of checks || []) { if (k.Status === 'critical') c++; else if (k.Status === 'warning') w++; }
  return worst(0, w, c);
}

export function counts(checks) {
  const n = { passing: 0, warning: 0, critical: 0 };
  for (const k of checks || []) n[k.Status] = (n[k.Status] || 0) + 1;
  return n;
}

// "2 passing · 1 critical" with coloured icons; text is always present.
export function healthSummary(p, w, c) {
  const parts = [];
  if (p) parts.push(html`<span class="c-passing"><span aria-hidden="true">✓</span> ${p} passing</span>`);
  if (w) parts.push(html`<span class="c-warning"><span aria-hidden="true">!</span> ${w} warning</span>`);
  if (c) parts.push(html`<span class="c-critical"><span aria-hidden="true">✕</span> ${c} critical</span>`);
  if (!parts.length) return html`<span class="muted">no checks</span>`;
  return raw(parts.map(String).join(' '));
}

export const tags = (list) => (list && list.length ? html`<span class="tags">${list.map((t) => html`<span class="tag">${t}</span>`)}</span>` : '');

export function metaTable(meta, empty = 'No metadata.') {
  const keys = Object.keys(meta || {}).sort();
  if (!keys.length) return html`<p class="muted">${empty}</p>`;
  return html`<table class="grid kvtable"><thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead><tbody>${keys.map(
    (k) => html`<tr><td>${k}</td><td>${meta[k]}</td></tr>`)}</tbody></table>`;
}

export function checksList(checks) {
  if (!checks || !checks.length) return html`<p class="muted">No health checks.</p>`;
  const order = { critical: 0, warning: 1, passing: 2 };
  const sorted = [...checks].sort((a, b) => (order[a.Status] ?? 3) - (order[b.Status] ?? 3) || a.Name.localeCompare(b.Name));
  return html`<ul class="checks">${sorted.map((k) => html`<li class="check" data-check="${k.CheckID}">
    <div class="check-head">${statusBadge(k.Status)} <strong>${k.Name}</strong>
      <span class="muted">${k.CheckID}${k.Type ? ' · ' + k.Type : ''}${k.ServiceName ? ' · service ' + k.ServiceName : ''}</span></div>
    ${k.Notes ? html`<p class="notes">${k.Notes}</p>` : ''}
    <pre class="output" aria-label="Output of ${k.Name}">${k.Output || '(no output)'}</pre></li>`)}</ul>`;
}

export function errorBox(err) {
  return html`<div class="error" role="alert">${err && err.message ? err.message : String(err)}</div>`;
}

export function announce(text) {
  const el = document.getElementById('announce');
  if (el) el.textContent = text;
}

export function fmtMs(seconds) {
  const ms = seconds * 1000;
  return ms < 10 ? ms.toFixed(2) + ' ms' : ms.toFixed(1) + ' ms';
}

export const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`;

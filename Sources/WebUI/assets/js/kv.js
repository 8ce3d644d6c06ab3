// Key/Value: folder navigation, create/edit/delete of keys and folders. Writes use ?cas= so a
// concurrent change is reported instead of overwritten. Values are bytes: shown as text only
// when they are valid UTF-8 (and survive a textarea), else as base64, and sent back raw.
import { request, watch, keyPath, b64ToBytes, bytesToB64, url, ApiError } from './api.js';
import { html, render, errorBox, announce, $ } from './dom.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const enc = new TextEncoder();
const dotSeg = (path) => path.split('/').some((s) => s === '.' || s === '..');

// Text for a value, or null when it must stay base64 (not UTF-8, or a CR a textarea would drop).
function asText(bytes) {
  try {
    const t = utf8.decode(bytes);
    return t.includes('\r') ? null : t;
  } catch { return null; }
}

// ---- API wrappers. A key that is exactly "." or ".." cannot be put in a URL path at all
// (URL parsing removes dot segments), so those go through /v1/txn, which carries the key in JSON.
const viaTxn = (key) => key === '.' || key === '..';

async function txn(op) {
  const res = await fetch(url('/v1/txn'), { method: 'PUT', body: JSON.stringify([{ KV: op }]) });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* plain-text error */ }
  if (res.ok) return body.Results[0].KV;
  const what = body && body.Errors ? body.Errors.map((e) => e.What).join('; ') : text;
  if (/doesn't exist/.test(what)) return null;
  if (/stale|cas failed|index/.test(what)) return false;
  throw new ApiError(res.status, what || res.statusText);
}

export async function kvGet(key, signal) {
  if (viaTxn(key)) return txn({ Verb: 'get', Key: key });
  try {
    const r = await request('GET', `/v1/kv/${keyPath(key)}`, { signal });
    return r.data && r.data[0];
  } catch (e) { if (e.status === 404) return null; throw e; }
}

// Resolves true on success, false when the cas index no longer matches.
export async function kvPut(key, bytes, cas, flags) {
  if (viaTxn(key)) return (await txn({ Verb: 'cas', Key: key, Value: bytesToB64(bytes), Flags: flags || 0, Index: cas })) !== false;
  const params = { cas };
  if (flags) params.flags = flags;
  return (await request('PUT', `/v1/kv/${keyPath(key)}`, { params, body: bytes })).data === true;
}

export async function kvDelete(key, { cas, recurse } = {}) {
  if (viaTxn(key) && !recurse) return (await txn({ Verb: 'delete-cas', Key: key, Index: cas })) !== false;
  const params = {};
  if (recurse) params.recurse = true;
  else if (cas !== undefined) params.cas = cas;
  return (await request('DELETE', `/v1/kv/${keyPath(key)}`, { params })).data !== false;
}

// ---- UI links. Dot segments cannot appear in a UI path either: those use ?key= / ?prefix=.
function links(ctx) {
  const root = `${ctx.base}${encodeURIComponent(ctx.dc)}/kv/`;
  const segs = (p) => p.split('/').map(encodeURIComponent).join('/');
  return {
    folder: (prefix) => (!prefix ? root : dotSeg(prefix.slice(0, -1)) ? `${root}?prefix=${encodeURIComponent(prefix)}` : root + segs(prefix.slice(0, -1)) + '/'),
    create: (prefix) => (!prefix ? root + 'create' : dotSeg(prefix.slice(0, -1)) ? `${root}create?prefix=${encodeURIComponent(prefix)}` : root + segs(prefix.slice(0, -1)) + '/create'),
    edit: (key) => (dotSeg(key) ? `${root}edit?key=${encodeURIComponent(key)}` : root + segs(key) + '/edit'),
  };
}

const parentOf = (key) => { const t = key.endsWith('/') ? key.slice(0, -1) : key; const i = t.lastIndexOf('/'); return i < 0 ? '' : t.slice(0, i + 1); };

function crumbs(ctx, path, L) {
  const parts = path.split('/');
  parts.pop(); // the key's own name, or the empty piece after a folder's last slash
  let acc = '';
  const items = [html`<a href="${L.folder('')}">Key/Value</a>`];
  for (const p of parts) { acc += p + '/'; items.push(html`<a href="${L.folder(acc)}">${p}</a>`); }
  return html`<nav class="crumbs" aria-label="Breadcrumb">${items.map((x, i) => html`${i ? ' / ' : ''}${x}`)} /</nav>`;
}

export default function kv(ctx) {
  const q = ctx.query;
  let r = ctx.route;
  if (q.has('key')) r = { mode: 'edit', key: q.get('key') };
  else if (q.has('prefix')) r = { mode: r.mode === 'create' ? 'create' : 'folder', prefix: q.get('prefix') };
  const L = links(ctx);
  if (r.mode === 'edit') return editKey(ctx, r.key, L);
  if (r.mode === 'create') return createKey(ctx, r.prefix, L);
  return folder(ctx, r.prefix, L);
}

// ---- folder listing
function folder(ctx, prefix, L) {
  const title = prefix ? prefix.slice(0, -1).split('/').pop() + '/' : 'Key/Value';
  ctx.setTitle(prefix ? `${prefix} - Key/Value` : 'Key/Value');
  render(ctx.el, html`${prefix ? crumbs(ctx, prefix, L) : ''}
    <div class="page-head"><h1 class="keyname">${title}</h1><a class="button primary" href="${L.create(prefix)}" id="kv-create">Create</a></div>
    <div id="kv-msg"></div>
    <table class="grid kv" aria-label="Keys in ${prefix || 'the root folder'}">
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody id="kv-rows"><tr><td colspan="3" class="loading">Loading…</td></tr></tbody></table>
    <p id="kv-empty" class="empty" hidden>This folder is empty.</p>`);
  const tbody = $('#kv-rows', ctx.el);
  const show = (keys) => {
    keys = (keys || []).filter((k) => k !== prefix).sort();
    render(tbody, html`${keys.map((k) => {
      const isFolder = k.endsWith('/');
      const name = k.slice(prefix.length);
      return html`<tr data-key="${k}"><td><a class="keyname" href="${isFolder ? L.folder(k) : L.edit(k)}">${isFolder ? html`<span class="ficon" aria-hidden="true"></span>` : ''}${name}</a></td>
        <td>${isFolder ? 'Folder' : 'Key'}</td>
        <td class="actions"><button type="button" class="danger small" data-delete="${k}" aria-label="Delete ${name}">Delete</button></td></tr>`;
    })}`);
    $('#kv-empty', ctx.el).hidden = keys.length > 0;
  };
  watch(`/v1/kv/${keyPath(prefix)}`, {
    params: { keys: true, separator: '/' },
    signal: ctx.signal,
    notFound: [],
    onData: show,
    onError(e) { if (e.status === 404) show([]); else render($('#kv-msg', ctx.el), errorBox(e)); },
  });
  tbody.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-delete]');
    if (!b) return;
    const k = b.dataset.delete;
    const isFolder = k.endsWith('/');
    if (!confirm(isFolder ? `Delete the folder ${k} and every key in it?` : `Delete the key ${k}?`)) return;
    try {
      await kvDelete(k, { recurse: isFolder });
      b.closest('tr').remove();
      render($('#kv-msg', ctx.el), html`<div class="notice" role="status">Deleted <span class="keyname">${k}</span>.</div>`);
    } catch (err) { render($('#kv-msg', ctx.el), errorBox(err)); }
  });
}

// ---- value editor shared by create and edit
function editorHtml(id) {
  return html`<fieldset class="inline"><legend>View value as</legend>
      <label><input type="radio" name="kv-mode" value="text" checked> Text</label>
      <label><input type="radio" name="kv-mode" value="base64"> Base64</label>
      <label class="json"><input type="checkbox" id="kv-json"> Validate as JSON</label></fieldset>
    <label for="${id}" class="block">Value</label>
    <textarea id="${id}" class="value" rows="14" spellcheck="false" autocomplete="off" aria-describedby="kv-note"></textarea>
    <p id="kv-note" class="hint" aria-live="polite"></p>`;
}

// Wires the mode radios, JSON check and conversion; returns { bytes(), set(bytes), validate() }.
function editor(form) {
  const ta = $('textarea.value', form), note = $('#kv-note', form), json = $('#kv-json', form);
  let mode = 'text';
  const setMode = (m) => { mode = m; for (const r of form.querySelectorAll('input[name=kv-mode]')) r.checked = r.value === m; json.disabled = m !== 'text'; };
  const bytes = () => {
    if (mode === 'text') return enc.encode(ta.value);
    const s = ta.value.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) throw new Error('The value is not valid base64.');
    return b64ToBytes(s);
  };
  const validate = () => {
    note.classList.remove('bad');
    if (mode !== 'text' || !json.checked) { note.textContent = mode === 'base64' ? 'Editing the raw bytes as base64.' : ''; return true; }
    try { JSON.parse(ta.value); note.textContent = 'Valid JSON.'; return true; } catch (e) {
      note.textContent = `Not valid JSON: ${e.message}`; note.classList.add('bad'); return false;
    }
  };
  const set = (b) => {
    const t = asText(b);
    if (t === null) { setMode('base64'); ta.value = bytesToB64(b); validate(); note.textContent = b.length ? 'This value is not plain UTF-8 text (or contains carriage returns), so it is shown and edited as base64; it is saved byte for byte.' : ''; }
    else {
      setMode('text'); ta.value = t;
      if (/^\s*[[{]/.test(t)) { try { JSON.parse(t); json.checked = true; } catch { /* not JSON: leave the check off */ } }
      validate();
    }
  };
  form.addEventListener('change', (e) => {
    if (e.target.name === 'kv-mode') {
      const want = e.target.value;
      try {
        const b = bytes();
        if (want === 'text') {
          const t = asText(b);
          if (t === null) { setMode('base64'); note.textContent = 'These bytes are not valid UTF-8 text (or contain carriage returns a text box would drop): keep editing them as base64.'; note.classList.add('bad'); return; }
          setMode('text'); ta.value = t;
        } else { setMode('base64'); ta.value = bytesToB64(b); }
        validate();
      } catch (err) { setMode(mode); note.textContent = err.message; note.classList.add('bad'); }
    } else if (e.target === json) validate();
  });
  let t;
  ta.addEventListener('input', () => { clearTimeout(t); t = setTimeout(validate, ta.value.length > 100000 ? 400 : 100); });
  return { bytes, set, validate, ta, mode: () => mode };
}

function createKey(ctx, prefix, L) {
  ctx.setTitle('Create key');
  render(ctx.el, html`${crumbs(ctx, prefix || '', L)}<div class="page-head"><h1>Create a key or folder</h1></div>
    <form id="kv-form" class="kvform" novalidate>
      <label for="kv-name" class="block">Key or folder name</label>
      <div class="prefixed">${prefix ? html`<span class="prefix keyname">${prefix}</span>` : ''}<input id="kv-name" required autocomplete="off" aria-describedby="kv-name-hint"></div>
      <p id="kv-name-hint" class="hint">End the name with <code>/</code> to create a folder.</p>
      <div id="kv-value-part">${editorHtml('kv-value')}</div>
      <div id="kv-msg"></div>
      <div class="buttons"><button type="submit" class="primary">Save</button> <a class="button" href="${L.folder(prefix)}">Cancel</a></div>
    </form>`);
  const form = $('#kv-form', ctx.el), name = $('#kv-name', form);
  const ed = editor(form);
  name.addEventListener('input', () => { $('#kv-value-part', form).hidden = name.value.endsWith('/'); });
  name.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const msg = $('#kv-msg', form);
    const n = name.value;
    if (!n) { render(msg, errorBox('Enter a name for the key or folder.')); name.focus(); return; }
    if (n.startsWith('/')) { render(msg, errorBox('A key name cannot start with "/".')); name.focus(); return; }
    const key = prefix + n;
    const isFolder = key.endsWith('/');
    let body;
    try {
      if (!isFolder && !ed.validate()) { render(msg, errorBox('Fix the JSON or turn off JSON validation.')); return; }
      body = isFolder ? new Uint8Array(0) : ed.bytes();
    } catch (err) { render(msg, errorBox(err)); return; }
    try {
      const ok = await kvPut(key, body, 0);
      if (!ok) { render(msg, html`<div class="error" role="alert"><span class="keyname">${key}</span> already exists. <a href="${isFolder ? L.folder(key) : L.edit(key)}">Open it</a></div>`); return; }
      announce(`Created ${key}`);
      ctx.navigate(isFolder ? L.folder(key) : L.edit(key));
    } catch (err) { render(msg, errorBox(err)); }
  });
}

function editKey(ctx, key, L) {
  ctx.setTitle(`${key} - Key/Value`);
  let cur = null; // the entry the edit is based on
  render(ctx.el, html`${crumbs(ctx, key, L)}<div class="page-head"><h1 class="keyname">${key.split('/').pop() || key}</h1></div>
    <div id="kv-facts"></div>
    <form id="kv-form" class="kvform" novalidate hidden>
      ${editorHtml('kv-value')}
      <div id="kv-msg"></div>
      <div class="buttons"><button type="submit" class="primary" id="kv-save">Save</button>
        <a class="button" href="${L.folder(parentOf(key))}">Back</a>
        <button type="button" class="danger" id="kv-delete">Delete</button></div>
    </form>
    <div id="kv-loadmsg"><p class="loading" role="status">Loading…</p></div>`);
  const form = $('#kv-form', ctx.el), msg = $('#kv-msg', ctx.el);
  const ed = editor(form);

  const facts = (e) => render($('#kv-facts', ctx.el), html`<dl class="facts">
    <div><dt>Key</dt><dd class="keyname">${key}</dd></div>
    <div><dt>Size</dt><dd>${e ? b64len(e.Value) : 0} bytes</dd></div>
    <div><dt>Modify index</dt><dd id="kv-index">${e ? e.ModifyIndex : '–'}</dd></div>
    ${e && e.Flags ? html`<div><dt>Flags</dt><dd>${e.Flags}</dd></div>` : ''}
    ${e && e.Session ? html`<div><dt>Locked by session</dt><dd class="mono">${e.Session}</dd></div>` : ''}</dl>`);

  async function load(keepEditor) {
    const e = await kvGet(key, ctx.signal);
    if (ctx.signal.aborted) return null;
    if (!e) {
      form.hidden = true;
      render($('#kv-facts', ctx.el), '');
      render($('#kv-loadmsg', ctx.el), html`<p class="empty">The key <span class="keyname">${key}</span> does not exist. <a href="${L.create(parentOf(key))}">Create a key</a></p>`);
      return null;
    }
    cur = e;
    render($('#kv-loadmsg', ctx.el), '');
    form.hidden = false;
    facts(e);
    if (!keepEditor) ed.set(e.Value ? b64ToBytes(e.Value) : new Uint8Array(0));
    return e;
  }

  async function save(cas) {
    let body;
    try {
      if (!ed.validate()) { render(msg, errorBox('Not saved: the value is not valid JSON (fix it or turn off JSON validation).')); return; }
      body = ed.bytes();
    } catch (err) { render(msg, errorBox(err)); return; }
    render(msg, html`<p class="hint" role="status">Saving…</p>`);
    try {
      const ok = await kvPut(key, body, cas, cur ? cur.Flags : 0);
      if (ok) {
        await load(true);
        render(msg, html`<div class="notice" role="status">Saved.</div>`);
        announce('Saved');
        return;
      }
      // Someone else changed (or deleted) the key since it was loaded.
      const theirs = await kvGet(key, ctx.signal);
      const mine = cur ? cur.ModifyIndex : 0;
      if (!theirs) {
        cur = null;
        render(msg, html`<div class="error conflict" role="alert"><strong>Conflict:</strong> someone else deleted this key after you opened it. Your value was not saved.
          <div class="buttons"><button type="button" id="kv-recreate" class="primary">Re-create it with my value</button></div></div>`);
        return;
      }
      const tb = theirs.Value ? b64ToBytes(theirs.Value) : new Uint8Array(0);
      const tt = asText(tb);
      const shown = tt === null ? bytesToB64(tb) : tt;
      render(msg, html`<div class="error conflict" role="alert"><strong>Conflict:</strong> someone else changed this key after you opened it
        (modify index ${mine} → ${theirs.ModifyIndex}). Your value was <strong>not</strong> saved; it is still in the editor.
        <p>Their value${tt === null ? ' (base64)' : ''}:</p><pre class="output">${shown.length > 4000 ? shown.slice(0, 4000) + '…' : shown}</pre>
        <div class="buttons"><button type="button" id="kv-overwrite" class="danger" data-index="${theirs.ModifyIndex}">Overwrite with my value</button>
        <button type="button" id="kv-theirs">Discard mine, load theirs</button></div></div>`);
    } catch (err) { render(msg, errorBox(err)); }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); save(cur ? cur.ModifyIndex : 0); });
  msg.addEventListener('click', async (e) => {
    const id = e.target.id;
    if (id === 'kv-overwrite') { cur = { ...cur, ModifyIndex: Number(e.target.dataset.index) }; save(cur.ModifyIndex); }
    else if (id === 'kv-recreate') save(0);
    else if (id === 'kv-theirs') { render(msg, ''); await load(false); announce('Loaded the current value'); }
  });
  $('#kv-delete', ctx.el).addEventListener('click', async () => {
    if (!confirm(`Delete the key ${key}?`)) return;
    try {
      if (await kvDelete(key, { cas: cur ? cur.ModifyIndex : 0 })) { announce(`Deleted ${key}`); ctx.navigate(L.folder(parentOf(key))); return; }
      render(msg, html`<div class="error conflict" role="alert"><strong>Conflict:</strong> someone else changed this key after you opened it, so it was not deleted. Check the current value and try again.</div>`);
      await load(true);
    } catch (err) { render(msg, errorBox(err)); }
  });

  load(false).catch((e) => { if (!ctx.signal.aborted) render($('#kv-loadmsg', ctx.el), errorBox(e)); });
}

const b64len = (v) => (v ? (v.length * 3) / 4 - (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0) : 0);

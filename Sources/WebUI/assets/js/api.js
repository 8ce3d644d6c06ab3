// HTTP API access: JSON fetch with ?dc=, errors carrying the agent's plain-text message, and a
// blocking-query loop (X-Consul-Index, ?index=&wait=) that stops when its AbortSignal fires.

let currentDc = '';
export const setDc = (dc) => { currentDc = dc; };

export class ApiError extends Error {
  constructor(status, message, index = 0) { super(message); this.status = status; this.index = index; }
}

export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === true) q.append(k, '');
    else if (v !== undefined && v !== null && v !== false) q.append(k, v);
  }
  if (currentDc && !('dc' in params)) q.append('dc', currentDc);
  const s = q.toString().replace(/=(&|$)/g, '$1'); // "?keys" rather than "?keys="
  return path + (s ? '?' + s : '');
}

async function failure(res) {
  let text = '';
  try { text = (await res.text()).trim(); } catch { /* ignore */ }
  return new ApiError(res.status, text || `${res.status} ${res.statusText}`, Number(res.headers.get('X-Consul-Index') || 0));
}

export async function request(method, path, { params, body, signal } = {}) {
  const res = await fetch(url(path, params), { method, body, signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  const index = Number(res.headers.get('X-Consul-Index') || 0);
  const text = await res.text();
  return { data: text ? JSON.parse(text) : null, index, status: res.status };
}

export const get = (path, opts = {}) => request('GET', path, opts).then((r) => r.data);

// Key paths: each segment encoded; a key with a "." or ".." segment is sent as one encoded
// segment (slashes as %2F), because URL parsing would otherwise resolve the dots away.
export function keyPath(key) {
  const segs = key.split('/');
  if (segs.some((s) => s === '.' || s === '..')) return encodeURIComponent(key);
  return segs.map(encodeURIComponent).join('/');
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// Calls onData(data, index) on the first answer and on every change, until signal aborts.
// With `notFound`, a 404 is an answer too (onData(notFound)): an empty KV folder, say, keeps
// blocking on its index and shows the first key created in it at once.
export async function watch(path, { params = {}, signal, onData, onError, notFound, wait = '30s' }) {
  let index = 0;
  let delay = 500;
  // An unchanged answer that came back at once (a server not blocking) waits before the next try.
  const settle = (t0) => (Date.now() - t0 < 500 ? sleep(1000, signal) : null);
  while (!signal.aborted) {
    const t0 = Date.now();
    try {
      const p = index ? { ...params, index, wait } : params;
      const r = await request('GET', path, { params: p, signal });
      if (signal.aborted) return;
      const tData = Date.now();
      delay = 500;
      if (index && r.index === index) { await settle(t0); continue; } // wait timed out without a change
      index = r.index; // a smaller index (state reset) is simply taken as the new base
      onData(r.data, r.index);
      if (!index) { await sleep(2000, signal); continue; } // no index: fall back to polling
      // Big answers (thousands of services) that change often: pause as long as rendering
      // took (at most 2 s), so a busy cluster cannot keep the page re-rendering without a break.
      const took = Date.now() - tData;
      if (took > 50) await sleep(Math.min(took, 2000), signal);
    } catch (e) {
      if (signal.aborted || e.name === 'AbortError') return;
      if (e.status === 404 && notFound !== undefined && e.index > 0) {
        if (!index || e.index !== index) onData(notFound, e.index);
        else await settle(t0);
        index = e.index;
        continue;
      }
      if (onError) onError(e);
      if (e.status === 404) index = 0;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10000);
    }
  }
}

// Periodic fetch for endpoints without blocking support.
export async function poll(fn, { signal, every = 3000, onError }) {
  while (!signal.aborted) {
    try { await fn(); } catch (e) {
      if (signal.aborted || e.name === 'AbortError') return;
      if (onError) onError(e);
    }
    await sleep(every, signal);
  }
}

// base64 <-> bytes for KV values.
export function b64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
export function bytesToB64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

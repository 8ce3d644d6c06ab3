// History API router: Consul's route table under the content path; same-origin link clicks
// inside the UI are handled without a page load; back/forward re-render.

export function matchRoute(segs) {
  // segs: decoded path segments after the datacenter, e.g. ["services", "web", "instances"].
  const [section, ...rest] = segs;
  switch (section) {
    case undefined: case '': return { view: 'redirect', to: 'services' };
    case 'services':
      if (!rest.length || rest[0] === '') return { view: 'services' };
      if (rest[1] === 'instances' && rest.length >= 4 && rest[2] && rest[3]) {
        return { view: 'instance', name: rest[0], node: rest[2], id: rest[3], tab: rest[4] || 'health-checks' };
      }
      return { view: 'service', name: rest[0], tab: rest[1] || 'instances' };
    case 'nodes':
      if (!rest.length || rest[0] === '') return { view: 'nodes' };
      return { view: 'node', node: rest[0], tab: rest[1] || 'health-checks' };
    case 'kv': {
      const last = rest[rest.length - 1];
      if (rest.length > 1 && last === 'edit') return { view: 'kv', mode: 'edit', key: rest.slice(0, -1).join('/') };
      if (last === 'create') return { view: 'kv', mode: 'create', prefix: folderOf(rest.slice(0, -1)) };
      return { view: 'kv', mode: 'folder', prefix: folderOf(rest) };
    }
    case 'overview': case 'servers': return { view: 'overview' };
    default: return { view: 'notfound' };
  }
}

function folderOf(segs) {
  const s = segs.filter((x, i) => !(x === '' && i === segs.length - 1));
  return s.length ? s.join('/') + '/' : '';
}

export class Router {
  constructor(base, onRoute) {
    this.base = base;
    this.onRoute = onRoute;
    window.addEventListener('popstate', () => this.onRoute());
    document.addEventListener('click', (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target.closest('a[href]');
      if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
      if (!a.pathname.startsWith(this.base) || a.pathname.startsWith(this.base + 'assets/')) return;
      if (a.pathname === location.pathname && a.search === location.search && a.hash) return; // in-page anchor
      e.preventDefault();
      this.navigate(a.pathname + a.search + a.hash);
    });
  }

  navigate(path, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.onRoute();
  }

  // Current location split into { dc, segs } (segments decoded; %2F inside a segment becomes "/").
  current() {
    const path = location.pathname.startsWith(this.base) ? location.pathname.slice(this.base.length) : '';
    const raw = path.split('/');
    const dec = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
    return { dc: dec(raw[0] || ''), segs: raw.slice(1).map(dec), query: new URLSearchParams(location.search) };
  }
}

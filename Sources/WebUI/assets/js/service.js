// Service detail (its instances with node, address, checks, tags, meta) and one instance's page.
// Both follow /v1/health/service/<name> as a blocking query.
import { watch } from './api.js';
import { html, render, statusBadge, healthSummary, tags, worstOf, counts, checksList, metaTable, errorBox, plural, $ } from './dom.js';

const addr = (e) => {
  const a = e.Service.Address || e.Node.Address;
  const host = a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
  return e.Service.Port ? `${host}:${e.Service.Port}` : host;
};

function instanceCard(ctx, name, e, i) {
  const s = e.Service;
  const st = worstOf(e.Checks);
  return html`<section class="card instance" data-instance="${s.ID}" aria-labelledby="inst-${i}">
    <header class="card-head">
      <h2 id="inst-${i}"><a href="${ctx.href('services', name, 'instances', e.Node.Node, s.ID, 'health-checks')}">${s.ID}</a></h2>
      ${statusBadge(st)}
    </header>
    <dl class="facts">
      <div><dt>Node</dt><dd><a href="${ctx.href('nodes', e.Node.Node, 'health-checks')}">${e.Node.Node}</a></dd></div>
      <div><dt>Address</dt><dd class="mono">${addr(e)}</dd></div>
      <div><dt>Tags</dt><dd>${s.Tags && s.Tags.length ? tags(s.Tags) : html`<span class="muted">none</span>`}</dd></div>
      ${Object.keys(s.Meta || {}).length ? html`<div><dt>Meta</dt><dd>${Object.entries(s.Meta).map(([k, v]) => html`<span class="tag">${k}=${v}</span> `)}</dd></div>` : ''}
    </dl>
    ${checksList(e.Checks)}
  </section>`;
}

export function service(ctx) {
  const name = ctx.route.name;
  ctx.setTitle(name);
  render(ctx.el, html`<nav class="crumbs" aria-label="Breadcrumb"><a href="${ctx.href('services')}">Services</a> /</nav>
    <div class="page-head"><h1>${name} <span id="svc-status"></span></h1></div>
    <div id="svc-summary" class="summary"></div><div id="svc-body"><p class="loading" role="status">Loading…</p></div>`);
  watch(`/v1/health/service/${encodeURIComponent(name)}`, {
    signal: ctx.signal,
    onData(list) {
      list = list || [];
      if (!list.length) {
        render($('#svc-body', ctx.el), html`<p class="empty">Service <strong>${name}</strong> has no instances in this datacenter.</p>`);
        render($('#svc-summary', ctx.el), ''); render($('#svc-status', ctx.el), '');
        return;
      }
      const checks = list.flatMap((e) => e.Checks);
      const n = counts(checks);
      const allTags = [...new Set(list.flatMap((e) => e.Service.Tags || []))].sort();
      render($('#svc-status', ctx.el), statusBadge(worstOf(checks)));
      render($('#svc-summary', ctx.el), html`<span>${plural(list.length, 'instance')}</span> · ${healthSummary(n.passing, n.warning, n.critical)}${
        allTags.length ? html` · ${tags(allTags)}` : ''}`);
      list.sort((a, b) => a.Node.Node.localeCompare(b.Node.Node) || a.Service.ID.localeCompare(b.Service.ID));
      render($('#svc-body', ctx.el), html`<h2 class="sr-only">Instances</h2><div class="cards">${list.map((e, i) => instanceCard(ctx, name, e, i))}</div>`);
    },
    onError(e) { render($('#svc-body', ctx.el), errorBox(e)); },
  });
}

export function instance(ctx) {
  const { name, node, id } = ctx.route;
  ctx.setTitle(`${id} on ${node}`);
  render(ctx.el, html`<nav class="crumbs" aria-label="Breadcrumb"><a href="${ctx.href('services')}">Services</a> /
      <a href="${ctx.href('services', name, 'instances')}">${name}</a> /</nav>
    <div class="page-head"><h1>${id} <span id="inst-status"></span></h1></div>
    <div id="inst-body"><p class="loading" role="status">Loading…</p></div>`);
  watch(`/v1/health/service/${encodeURIComponent(name)}`, {
    signal: ctx.signal,
    onData(list) {
      const e = (list || []).find((x) => x.Node.Node === node && x.Service.ID === id);
      if (!e) {
        render($('#inst-status', ctx.el), '');
        render($('#inst-body', ctx.el), html`<p class="empty">No instance <strong>${id}</strong> of service <strong>${name}</strong> on node <strong>${node}</strong>.</p>`);
        return;
      }
      const svcChecks = e.Checks.filter((k) => k.ServiceID);
      const nodeChecks = e.Checks.filter((k) => !k.ServiceID);
      render($('#inst-status', ctx.el), statusBadge(worstOf(e.Checks)));
      render($('#inst-body', ctx.el), html`
        <dl class="facts">
          <div><dt>Service</dt><dd>${e.Service.Service}</dd></div>
          <div><dt>Node</dt><dd><a href="${ctx.href('nodes', node, 'health-checks')}">${node}</a></dd></div>
          <div><dt>Address</dt><dd class="mono">${addr(e)}</dd></div>
          <div><dt>Tags</dt><dd>${e.Service.Tags && e.Service.Tags.length ? tags(e.Service.Tags) : html`<span class="muted">none</span>`}</dd></div>
        </dl>
        <h2>Service checks</h2>${checksList(svcChecks)}
        <h2>Node checks</h2>${checksList(nodeChecks)}
        <h2>Metadata</h2>${metaTable(e.Service.Meta)}`);
    },
    onError(err) { render($('#inst-body', ctx.el), errorBox(err)); },
  });
}

/** The frame of every page (header, navigation, notices) and the small parts pages share. */
import { formatInstant } from '../../time/format.ts';
import type { Zone } from '../../time/zone.ts';
import { type Html, html } from '../html.ts';
import type { StoreInfo } from '../source.ts';

/** What every page needs to know about the request. */
export interface PageContext {
  /** The mount path, without a trailing slash ('' at the root). */
  readonly base: string;
  readonly csrf: string;
  readonly canWrite: boolean;
  readonly readOnly: boolean;
  readonly zone: Zone;
  readonly store: string;
  readonly stores: readonly StoreInfo[];
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export type Section = 'overview' | 'jobs' | 'running' | 'history' | 'nodes';

const NAV: readonly [Section, string, string][] = [
  ['overview', 'Overview', '/'],
  ['jobs', 'Jobs', '/jobs'],
  ['running', 'Running', '/running'],
  ['history', 'History', '/history'],
  ['nodes', 'Nodes', '/nodes'],
];

/** A link within the dashboard, with its query (empty values left out). */
export function href(
  ctx: PageContext,
  path: string,
  query: Record<string, string | number | null | undefined> = {},
): string {
  const params = new URLSearchParams();
  if (ctx.store !== 'default' && query.store === undefined) params.set('store', ctx.store);
  for (const [key, value] of Object.entries(query))
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return `${ctx.base}${path === '/' && ctx.base !== '' ? '/' : path}${text === '' ? '' : `?${text}`}`;
}

/** An instant in the dashboard's zone, machine-readable too. */
export function time(ctx: PageContext, ms: number | null | undefined, zone: Zone = ctx.zone): Html {
  if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}">${formatInstant(ms, zone)}</time>`;
}

/** `4 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 === 0 ? '' : ` ${m % 60} min`}`;
  return `${Math.floor(h / 24)} d`;
}

/** A coloured label for a job status or fire state. */
export function badge(state: string): Html {
  return html`<span class="badge badge-${state.replace(/[^a-z_]/g, '')}">${state.replace(/_/g, ' ')}</span>`;
}

/** The hidden fields every form that changes something carries. */
export function formFields(ctx: PageContext, fields: Record<string, string | number>): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="store" value="${ctx.store}">${Object.entries(
    fields,
  ).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/** A one-button form that posts an action about a job. */
export function actionButton(
  ctx: PageContext,
  action: string,
  fields: Record<string, string | number>,
  label: string,
  kind: 'primary' | 'danger' | 'plain' = 'plain',
  confirm?: string,
): Html {
  if (!ctx.canWrite) return html``;
  return html`<form method="post" action="${ctx.base}/${action}" class="inline"${confirm === undefined ? '' : html` data-confirm="${confirm}"`}>${formFields(ctx, fields)}<button type="submit" class="btn btn-${kind}">${label}</button></form>`;
}

function storeSwitcher(ctx: PageContext, section: Section): Html {
  if (ctx.stores.length < 2) return html``;
  const path = NAV.find(([name]) => name === section)?.[2] ?? '/';
  return html`<form method="get" action="${ctx.base}${path === '/' ? '/' : path}" class="store-switch"><label for="store-select">Store</label><select id="store-select" name="store" data-autosubmit>${ctx.stores.map(
    (s) =>
      html`<option value="${s.alias}"${s.alias === ctx.store ? html` selected` : ''}>${s.alias} (${s.kind})</option>`,
  )}</select><noscript><button type="submit" class="btn">Go</button></noscript></form>`;
}

export function layout(ctx: PageContext, section: Section, title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Horarium</title>
<link rel="stylesheet" href="${ctx.base}/assets/dashboard.css">
<script type="module" src="${ctx.base}/assets/dashboard.js"></script>
</head>
<body data-base="${ctx.base}" data-store="${ctx.store}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${href(ctx, '/')}"><span class="logo" aria-hidden="true"></span>Horarium</a>
  <nav aria-label="Sections"><ul>${NAV.map(
    ([name, label, path]) =>
      html`<li><a href="${href(ctx, path)}"${name === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
  <div class="top-right">${storeSwitcher(ctx, section)}${ctx.readOnly ? html`<span class="pill" title="Changes are turned off">read-only</span>` : ''}<span class="live" data-live aria-live="polite" title="Live updates">live</span></div>
</header>
<main id="main" tabindex="-1">
${ctx.notice === undefined ? '' : html`<p class="notice" role="status">${ctx.notice}</p>`}
${ctx.error === undefined ? '' : html`<p class="error" role="alert">${ctx.error}</p>`}
${body}
</main>
<footer class="foot">Times in ${ctx.zone.name} · store <code>${ctx.store}</code></footer>
</body>
</html>
`.text;
}

/** The dashboard's pages, rendered from the data of `data.ts`. */
import type { Explanation } from '../../scheduler/history/explain.ts';
import type { FiresPage } from '../../scheduler/history/fire-history.ts';
import type { FireRecord, FireState } from '../../stores/ledger.ts';
import { FIRE_STATES } from '../../stores/ledger.ts';
import { getZone } from '../../time/zone.ts';
import type {
  JobPageData,
  JobsPage,
  JobsQuery,
  JobView,
  NodeView,
  OverviewData,
  UpcomingFire,
} from '../data.ts';
import { type Html, html } from '../html.ts';
import { outcomesChart } from './chart.ts';
import {
  actionButton,
  badge,
  duration,
  formFields,
  href,
  layout,
  type PageContext,
  time,
} from './layout.ts';

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

function jobLink(ctx: PageContext, id: string, text?: string): Html {
  return html`<a class="mono" href="${href(ctx, '/job', { id })}">${text ?? id}</a>`;
}

function empty(columns: number, text: string): Html {
  return html`<tr><td colspan="${columns}" class="empty">${text}</td></tr>`;
}

// ------------------------------------------------------------------ overview

function stat(label: string, value: number | string, kind = ''): Html {
  return html`<div class="stat ${kind}"><span class="stat-value">${typeof value === 'number' ? value.toLocaleString('en-US') : value}</span><span class="stat-label">${label}</span></div>`;
}

function nodesTable(ctx: PageContext, nodes: readonly NodeView[]): Html {
  return html`<div class="table-wrap"><table>
<caption class="sr-only">Schedulers sharing the store</caption>
<thead><tr><th scope="col">Node</th><th scope="col">Host</th><th scope="col">PID</th><th scope="col">Version</th><th scope="col">Up since</th><th scope="col">Last check-in</th><th scope="col">Clock skew</th></tr></thead>
<tbody>${
    nodes.length === 0
      ? empty(7, 'No scheduler has checked in with this store.')
      : nodes.map(
          (n) =>
            html`<tr><td><span class="dot ${n.alive ? 'dot-ok' : 'dot-bad'}" aria-hidden="true"></span><span class="mono">${n.nodeId}</span><span class="sr-only">${n.alive ? ' (alive)' : ' (silent)'}</span></td><td>${n.hostname}</td><td class="num">${n.pid}</td><td>${n.version}</td><td>${time(ctx, n.startedAt)}</td><td>${duration(n.checkInAgeMs)} ago</td><td class="num ${Math.abs(n.clockSkewMs) > 1000 ? 'warn-text' : ''}">${n.clockSkewMs >= 0 ? '+' : ''}${n.clockSkewMs} ms</td></tr>`,
        )
  }</tbody></table></div>`;
}

function nextRun(ctx: PageContext, job: JobView): Html {
  const next = ms(job.nextRunTime);
  if (next === null) return badge(job.status);
  const delta = next - Date.now();
  return html`${time(ctx, next)} <span class="muted">(${delta < 0 ? `${duration(delta)} late` : `in ${duration(delta)}`})</span>`;
}

export function overviewPage(ctx: PageContext, data: OverviewData): string {
  const total = data.counts.scheduled + data.counts.paused;
  const alive = data.nodes.filter((n) => n.alive).length;
  const failed = data.outcomes.buckets.reduce((sum, b) => sum + b.failed, 0);
  const body = html`<h1>Overview</h1>
<section class="stats" aria-label="Counts">
${stat('jobs', total)}${stat('scheduled', data.counts.scheduled, 'ok')}${stat('paused', data.counts.paused, data.counts.paused > 0 ? 'warn' : '')}
<div class="stat"><span class="stat-value" data-running-count>${data.running}</span><span class="stat-label">running</span></div>
${stat('nodes alive', `${alive} / ${data.nodes.length}`, alive === 0 && data.nodes.length > 0 ? 'bad' : '')}${stat('failed, 24 h', failed, failed > 0 ? 'bad' : '')}
</section>
<section class="card"><h2>Last 24 hours</h2>${outcomesChart(data.outcomes, ctx.zone)}</section>
<div class="grid-2">
<section class="card"><h2>Next fires</h2><div class="table-wrap"><table>
<thead><tr><th scope="col">Job</th><th scope="col">Schedule</th><th scope="col">Next run</th></tr></thead>
<tbody>${data.nextFires.length === 0 ? empty(3, 'Nothing is scheduled.') : data.nextFires.map((job) => html`<tr><td>${jobLink(ctx, job.id)}${job.name !== null && job.name !== job.id ? html`<div class="sub">${job.name}</div>` : ''}</td><td>${job.schedule ?? '—'}</td><td>${nextRun(ctx, job)}</td></tr>`)}</tbody></table></div>
<p><a href="${href(ctx, '/jobs')}">All jobs →</a></p></section>
<section class="card"><h2>Stores</h2><div class="table-wrap"><table>
<thead><tr><th scope="col">Alias</th><th scope="col">Kind</th><th scope="col">Shared</th></tr></thead>
<tbody>${data.stores.map((s) => html`<tr><td><a href="${href(ctx, '/', { store: s.alias })}" class="mono">${s.alias}</a></td><td>${s.kind}</td><td>${s.shared ? 'yes: cluster ledger' : 'no: this process only'}</td></tr>`)}</tbody></table></div></section>
</div>
<section class="card"><h2>Nodes</h2>${nodesTable(ctx, data.nodes)}</section>`;
  return layout(ctx, 'overview', 'Overview', body);
}

// ------------------------------------------------------------------ jobs

export function jobsPage(ctx: PageContext, query: JobsQuery, page: JobsPage): string {
  const bulk = ctx.canWrite;
  const body = html`<h1>Jobs</h1>
<form method="get" action="${ctx.base}/jobs" class="filters" role="search">
<input type="hidden" name="store" value="${ctx.store}">
<label for="q">Search</label><input id="q" name="q" type="search" value="${query.search}" placeholder="id, name or function" autocomplete="off">
<label for="status">Status</label><select id="status" name="status">${(['all', 'scheduled', 'paused'] as const).map((s) => html`<option value="${s}"${s === query.status ? html` selected` : ''}>${s}</option>`)}</select>
<button type="submit" class="btn btn-primary">Filter</button>${query.search !== '' || query.status !== 'all' ? html` <a href="${href(ctx, '/jobs')}">Clear</a>` : ''}
</form>
${bulk ? html`<form method="post" action="${ctx.base}/jobs/bulk" id="bulk">${formFields(ctx, {})}<div class="bulk-bar"><span class="muted" data-selected>Select jobs to pause or resume them together.</span> <button class="btn" name="action" value="pause" type="submit">Pause selected</button> <button class="btn" name="action" value="resume" type="submit">Resume selected</button></div>` : html`<div>`}
<div class="table-wrap"><table class="jobs">
<caption class="sr-only">Jobs, by next run time</caption>
<thead><tr>${bulk ? html`<th scope="col" class="check"><input type="checkbox" data-select-all aria-label="Select every job on this page"></th>` : ''}<th scope="col">Job</th><th scope="col">Function</th><th scope="col">Schedule</th><th scope="col">Next run</th><th scope="col">Status</th></tr></thead>
<tbody>${
    page.jobs.length === 0
      ? empty(bulk ? 6 : 5, query.search === '' ? 'No jobs.' : 'No job matches.')
      : page.jobs.map(
          (job) =>
            html`<tr>${bulk ? html`<td class="check"><input type="checkbox" name="job" value="${job.id}" aria-label="Select ${job.id}"></td>` : ''}<td>${jobLink(ctx, job.id)}${job.name !== null && job.name !== job.id ? html`<div class="sub">${job.name}</div>` : ''}</td><td class="mono small">${job.func ?? '—'}</td><td>${job.schedule ?? job.error ?? '—'}</td><td>${job.nextRunTime === null ? html`<span class="muted">—</span>` : nextRun(ctx, job)}</td><td>${badge(job.status)}</td></tr>`,
        )
  }</tbody></table></div>${bulk ? html`</form>` : html`</div>`}
${
  page.broken.length === 0
    ? ''
    : html`<section class="card broken"><h2>Jobs that cannot be restored</h2><p class="muted">Their rows are kept, never run; open one to see why, or remove it.</p><ul>${page.broken.map((job) => html`<li>${jobLink(ctx, job.id)}: ${job.error ?? ''}</li>`)}</ul></section>`
}
<nav class="pager" aria-label="Pages">${query.cursor !== null ? html`<a href="${href(ctx, '/jobs', { q: query.search, status: query.status === 'all' ? '' : query.status })}">First page</a>` : ''}${page.cursor !== null ? html`<a class="btn" rel="next" href="${href(ctx, '/jobs', { q: query.search, status: query.status === 'all' ? '' : query.status, cursor: page.cursor })}">Next page →</a>` : ''}</nav>`;
  return layout(ctx, 'jobs', 'Jobs', body);
}

// ------------------------------------------------------------------ one job

function firesTable(ctx: PageContext, fires: readonly FireRecord[], withJob: boolean): Html {
  const columns = withJob ? 8 : 7;
  return html`<div class="table-wrap"><table>
<thead><tr>${withJob ? html`<th scope="col">Job</th>` : ''}<th scope="col">Scheduled</th><th scope="col">State</th><th scope="col">Node</th><th scope="col">Fence</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Note</th></tr></thead>
<tbody>${
    fires.length === 0
      ? empty(columns, 'No fires recorded.')
      : fires.map(
          (f) =>
            html`<tr>${withJob ? html`<td>${jobLink(ctx, f.jobId)}</td>` : ''}<td>${time(ctx, f.scheduledTime)}</td><td>${badge(f.state)}</td><td class="mono small">${f.node ?? '—'}</td><td class="num">${f.fence}</td><td>${f.startedAt === null ? '—' : `+${duration(f.startedAt - f.scheduledTime)}`}</td><td>${f.startedAt !== null && f.finishedAt !== null ? duration(f.finishedAt - f.startedAt) : '—'}</td><td class="note">${[f.errorName === null ? '' : `${f.errorName}: ${f.errorMessage ?? ''}`, f.detail ?? ''].filter((t) => t !== '').join('; ')}</td></tr>`,
        )
  }</tbody></table></div>`;
}

function upcomingList(ctx: PageContext, fires: readonly UpcomingFire[], zone: string): Html {
  const tz = getZone(zone);
  if (fires.length === 0) return html`<p class="muted">No fire times to come.</p>`;
  return html`<ol class="upcoming">${fires.map((f) => html`<li>${time(ctx, Date.parse(f.time), tz)}${f.dst === null ? '' : html` <span class="dst" title="Daylight saving time">DST</span> <span class="small muted">${f.dst}</span>`}</li>`)}</ol>`;
}

export interface JobPageExtras {
  readonly explanation?: Explanation | undefined;
  readonly askedAt?: string | undefined;
  readonly preview?:
    | { readonly spec: string; readonly fires?: readonly UpcomingFire[]; readonly error?: string }
    | undefined;
}

function definition(job: JobView): Html {
  const rows: [string, unknown][] = [
    ['Name', job.name],
    ['Function', job.func],
    ['Trigger', job.trigger],
    ['Executor', job.executor],
    ['Arguments', JSON.stringify(job.args ?? [])],
    ['Coalesce', job.coalesce],
    ['Max instances', job.maxInstances],
    ['Misfire grace', job.misfireGraceTime === null ? 'any lateness' : `${job.misfireGraceTime} s`],
    ['Timeout', job.timeout === null ? 'none' : `${job.timeout} s`],
    ['Recover', job.recover],
  ];
  return html`<dl class="props">${rows.map(([k, v]) => html`<dt>${k}</dt><dd class="${k === 'Function' || k === 'Arguments' || k === 'Trigger' ? 'mono' : ''}">${v === undefined || v === null ? '—' : String(v)}</dd>`)}</dl>`;
}

function jobActions(ctx: PageContext, data: JobPageData): Html {
  if (!ctx.canWrite) return html``;
  const fields = { id: data.job.id, version: data.version };
  const remove = actionButton(
    ctx,
    'job/remove',
    fields,
    'Remove',
    'danger',
    `Remove job ${data.job.id}? This cannot be undone.`,
  );
  if (data.job.status === 'broken') return html`<div class="actions">${remove}</div>`;
  return html`<div class="actions">${actionButton(ctx, 'job/run', fields, 'Run now', 'primary')}${
    data.job.status === 'paused'
      ? actionButton(ctx, 'job/resume', fields, 'Resume', 'plain')
      : actionButton(ctx, 'job/pause', fields, 'Pause', 'plain')
  }${remove}</div>`;
}

function numberField(
  name: string,
  label: string,
  value: number | null | undefined,
  hint: string,
): Html {
  return html`<div class="field"><label for="m-${name}">${label}</label><input id="m-${name}" name="${name}" type="number" min="0" step="any" value="${value ?? ''}" aria-describedby="m-${name}-hint"><span id="m-${name}-hint" class="hint">${hint}</span></div>`;
}

function editForms(ctx: PageContext, data: JobPageData, extras: JobPageExtras): Html {
  if (!ctx.canWrite || data.job.status === 'broken') return html``;
  const job = data.job;
  const fields = { id: job.id, version: data.version };
  const previewed = extras.preview;
  return html`<div class="grid-2">
<section class="card" id="reschedule"><h2>Reschedule</h2>
<form method="get" action="${ctx.base}/job#reschedule" class="stack">
<input type="hidden" name="store" value="${ctx.store}"><input type="hidden" name="id" value="${job.id}">
<div class="field"><label for="spec">New trigger</label><input id="spec" name="preview" class="mono" value="${previewed?.spec ?? ''}" placeholder="0 3 * * *  or  interval:minutes=15" required aria-describedby="spec-hint"><span id="spec-hint" class="hint">A crontab line, or <code>cron:</code>, <code>interval:</code>, <code>calendarinterval:</code> or <code>date:</code> with key=value pairs, in ${data.zone} unless it names a zone.</span></div>
<button type="submit" class="btn">Preview</button>
</form>
${
  previewed === undefined
    ? ''
    : previewed.error !== undefined
      ? html`<p class="error" role="alert">${previewed.error}</p>`
      : html`<h3>Next fire times</h3>${upcomingList(ctx, previewed.fires ?? [], data.zone)}
<form method="post" action="${ctx.base}/job/reschedule">${formFields(ctx, { ...fields, spec: previewed.spec })}<button type="submit" class="btn btn-primary">Reschedule to this</button></form>`
}
</section>
<section class="card"><h2>Modify</h2>
<form method="post" action="${ctx.base}/job/modify" class="stack">${formFields(ctx, fields)}
<div class="field"><label for="m-name">Name</label><input id="m-name" name="name" value="${job.name ?? ''}"></div>
${numberField('maxInstances', 'Max instances', job.maxInstances, 'Runs of this job at once, across every node.')}
${numberField('misfireGraceTime', 'Misfire grace (s)', job.misfireGraceTime, 'Empty: a run may start any time late.')}
${numberField('timeout', 'Timeout (s)', job.timeout, 'Empty: no limit.')}
<div class="field check-field"><input id="m-coalesce" name="coalesce" type="checkbox" value="true"${job.coalesce === true ? html` checked` : ''}><label for="m-coalesce">Coalesce missed runs into one</label><input type="hidden" name="coalesce" value="false"></div>
<button type="submit" class="btn btn-primary">Save changes</button>
</form></section>
</div>`;
}

function explainSection(ctx: PageContext, data: JobPageData, extras: JobPageExtras): Html {
  const answer = extras.explanation;
  return html`<section class="card" id="why"><h2>Why not at …?</h2>
<form method="get" action="${ctx.base}/job#why" class="inline-form">
<input type="hidden" name="store" value="${ctx.store}"><input type="hidden" name="id" value="${data.job.id}">
<label for="at">Time</label><input id="at" name="at" value="${extras.askedAt ?? ''}" placeholder="2026-03-29 02:30" required aria-describedby="at-hint">
<button type="submit" class="btn">Explain</button>
<span id="at-hint" class="hint">ISO 8601, or YYYY-MM-DD HH:MM in ${data.zone}.</span>
</form>
${
  answer === undefined
    ? ''
    : html`<div class="answer"><p>${badge(answer.verdict)}${answer.slot === null ? '' : html` fire time ${time(ctx, answer.slot.getTime(), getZone(data.zone))}`}</p><ul class="evidence">${answer.evidence.map((e) => html`<li>${e}</li>`)}</ul></div>`
}
</section>`;
}

export function jobPage(ctx: PageContext, data: JobPageData, extras: JobPageExtras): string {
  const job = data.job;
  const body = html`<p class="crumbs"><a href="${href(ctx, '/jobs')}">Jobs</a> /</p>
<div class="title-row"><h1 class="mono">${job.id}</h1>${badge(job.status)}<span class="muted small">version ${data.version}</span></div>
${job.status === 'broken' ? html`<p class="error">This job cannot be restored: ${job.error ?? ''}</p>` : ''}
${jobActions(ctx, data)}
<div class="grid-2">
<section class="card"><h2>Schedule</h2><p class="schedule">${job.schedule ?? '—'}</p><p>Next run: ${job.nextRunTime === null ? html`<span class="muted">none (${job.status})</span>` : nextRun(ctx, job)}</p>
<h3>Next 10 fire times <span class="muted small">(${data.zone})</span></h3>${upcomingList(ctx, data.upcoming, data.zone)}</section>
<section class="card"><h2>Definition</h2>${definition(job)}</section>
</div>
${explainSection(ctx, data, extras)}
<section class="card"><h2>Recent fires</h2>${firesTable(ctx, data.fires, false)}${data.firesCursor === null ? '' : html`<p><a href="${href(ctx, '/history', { job: job.id })}">Older fires →</a></p>`}</section>
${editForms(ctx, data, extras)}`;
  return layout(ctx, 'jobs', job.id, body);
}

// ------------------------------------------------------------------ running, history, nodes

/** The rows of the running table (also sent alone when the live feed sees a change). */
export function runningRows(
  ctx: PageContext,
  fires: readonly FireRecord[],
  cancellable: boolean,
): Html {
  const now = Date.now();
  if (fires.length === 0) return empty(cancellable ? 7 : 6, 'Nothing is running.');
  return html`${fires.map(
    (f) =>
      html`<tr><td>${jobLink(ctx, f.jobId)}</td><td>${badge(f.state)}</td><td class="mono small">${f.node ?? '—'}</td><td>${time(ctx, f.scheduledTime)}</td><td>${f.startedAt === null ? '—' : duration(now - f.startedAt)}</td><td>${f.leaseUntil === null ? '—' : f.leaseUntil >= now ? `${duration(f.leaseUntil - now)} left` : html`<span class="warn-text">expired ${duration(now - f.leaseUntil)} ago</span>`}</td>${cancellable ? html`<td>${actionButton(ctx, 'fire/cancel', { id: f.jobId, fire: f.fireId }, 'Cancel', 'danger', `Cancel this run of ${f.jobId}?`)}</td>` : ''}</tr>`,
  )}`;
}

export function runningPage(
  ctx: PageContext,
  fires: readonly FireRecord[],
  cancellable: boolean,
): string {
  const body = html`<h1>Running</h1>
<p class="muted">Fires claimed or running on any node, updated live.${cancellable ? '' : ' Runs are cancelled from a dashboard mounted in the scheduler that runs them.'}</p>
<div class="table-wrap"><table id="running">
<thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Node</th><th scope="col">Scheduled</th><th scope="col">Running for</th><th scope="col">Run lease</th>${cancellable ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : ''}</tr></thead>
<tbody data-running-body>${runningRows(ctx, fires, cancellable)}</tbody></table></div>`;
  return layout(ctx, 'running', 'Running', body);
}

export interface HistoryFilters {
  readonly job: string;
  readonly states: readonly FireState[];
  readonly from: string;
  readonly to: string;
  readonly cursor: string | null;
}

export function historyPage(ctx: PageContext, filters: HistoryFilters, page: FiresPage): string {
  const body = html`<h1>History</h1>
<form method="get" action="${ctx.base}/history" class="filters">
<input type="hidden" name="store" value="${ctx.store}">
<label for="h-job">Job id</label><input id="h-job" name="job" value="${filters.job}">
<label for="h-state">State</label><select id="h-state" name="state"><option value="">any</option>${[...FIRE_STATES].map((s) => html`<option value="${s}"${filters.states.length === 1 && filters.states[0] === s ? html` selected` : ''}>${s.replace(/_/g, ' ')}</option>`)}</select>
<label for="h-from">From</label><input id="h-from" name="from" value="${filters.from}" placeholder="2026-01-01 00:00">
<label for="h-to">To</label><input id="h-to" name="to" value="${filters.to}" placeholder="now">
<button type="submit" class="btn btn-primary">Filter</button>
</form>
${firesTable(ctx, page.fires, true)}
<nav class="pager" aria-label="Pages">${page.cursor === null ? '' : html`<a class="btn" rel="next" href="${href(ctx, '/history', { job: filters.job, state: filters.states.join(','), from: filters.from, to: filters.to, cursor: page.cursor })}">Older →</a>`}</nav>`;
  return layout(ctx, 'history', 'History', body);
}

export function nodesPage(ctx: PageContext, nodes: readonly NodeView[]): string {
  const body = html`<h1>Nodes</h1><p class="muted">Schedulers that checked in with store <code>${ctx.store}</code>, most recent first. A node is alive while it checks in at least once a minute; clock skew is its clock minus the store's.</p>${nodesTable(ctx, nodes)}`;
  return layout(ctx, 'nodes', 'Nodes', body);
}

export function messagePage(ctx: PageContext, title: string, message: string): string {
  return layout(
    ctx,
    'overview',
    title,
    html`<h1>${title}</h1><p>${message}</p><p><a href="${href(ctx, '/')}">Back to the overview</a></p>`,
  );
}

/** The last 24 hours of outcomes as an SVG bar chart, drawn on the server (no script, no inline style). */
import { formatInstant } from '../../time/format.ts';
import type { Zone } from '../../time/zone.ts';
import type { Outcomes } from '../data.ts';
import { type Html, html } from '../html.ts';

const WIDTH = 720;
const HEIGHT = 160;
const AXIS = 20;
const SERIES = ['succeeded', 'failed', 'missed', 'running'] as const;

export function outcomesChart(outcomes: Outcomes, zone: Zone): Html {
  const max = Math.max(
    1,
    ...outcomes.buckets.map((b) => b.succeeded + b.failed + b.missed + b.running),
  );
  const slot = WIDTH / outcomes.buckets.length;
  const plot = HEIGHT - AXIS;
  const bars = outcomes.buckets.map((bucket, i) => {
    let y = plot;
    const x = i * slot + 2;
    const hour = formatInstant(bucket.start, zone).slice(11, 16);
    const total = bucket.succeeded + bucket.failed + bucket.missed + bucket.running;
    const parts = SERIES.map((series) => {
      const count = bucket[series];
      if (count === 0) return html``;
      const h = Math.max(1, (count / max) * (plot - 4));
      y -= h;
      return html`<rect class="bar-${series}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${h.toFixed(1)}"></rect>`;
    });
    const label =
      i % 3 === 0
        ? html`<text x="${(x + (slot - 4) / 2).toFixed(1)}" y="${HEIGHT - 5}" text-anchor="middle">${hour}</text>`
        : '';
    return html`<g><title>${hour}: ${total} fires (${bucket.succeeded} succeeded, ${bucket.failed} failed, ${bucket.missed} missed or skipped, ${bucket.running} running)</title><rect class="bar-slot" x="${(i * slot).toFixed(1)}" y="0" width="${slot.toFixed(1)}" height="${plot}"></rect>${parts}${label}</g>`;
  });
  const sum = (series: (typeof SERIES)[number]) =>
    outcomes.buckets.reduce((total, bucket) => total + bucket[series], 0);
  return html`<figure class="chart">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title" preserveAspectRatio="none"><title id="chart-title">Fires per hour over the last 24 hours</title><line class="axis" x1="0" y1="${plot}" x2="${WIDTH}" y2="${plot}"></line>${bars}</svg>
<figcaption><ul class="legend">${SERIES.map(
    (series) =>
      html`<li><span class="swatch bar-${series}" aria-hidden="true"></span>${series === 'missed' ? 'missed or skipped' : series} <strong>${sum(series).toLocaleString('en-US')}</strong></li>`,
  )}</ul>${outcomes.capped ? html`<p class="muted">The newest ${outcomes.read.toLocaleString('en-US')} fires of the last 24 hours.</p>` : ''}</figcaption>
</figure>`;
}

/**
 * The metric catalog, the one declaration both adapters use: its names follow
 * Prometheus's conventions, and docs/observability.md describes every metric
 * with the catalog's own description.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/observability/catalog.ts';

const docs = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
const rows = docs.split('\n').filter((line) => line.startsWith('| `horarium_'));

describe('the metric catalog', () => {
  for (const [key, spec] of Object.entries(METRICS)) {
    it(`${key}: named in base units, documented with its description`, () => {
      if (spec.kind === 'counter') expect(spec.prometheus).toMatch(/_total$/);
      else expect(spec.prometheus).not.toMatch(/_total$/);
      if (spec.unit === 's') expect(spec.prometheus).toMatch(/_seconds$/);
      expect(spec.otel).toMatch(/^horarium\.[a-z_.]+$/);
      const row = rows.find((line) => line.startsWith(`| \`horarium_${spec.prometheus}\` |`));
      expect(row, `docs/observability.md has no row for horarium_${spec.prometheus}`).toBeDefined();
      expect(row).toContain(spec.help);
      if (key !== 'eventLoopLag') expect(row).toContain(`\`${spec.otel}\``);
      for (const label of spec.labels) expect(row).toContain(`\`${label}\``);
    });
  }

  it('the docs list no metric the catalog lacks', () => {
    const documented = rows.map((line) => /^\| `horarium_(\w+)`/.exec(line)?.[1]);
    expect(documented.sort()).toEqual(
      Object.values(METRICS)
        .map((spec) => spec.prometheus)
        .sort(),
    );
  });
});

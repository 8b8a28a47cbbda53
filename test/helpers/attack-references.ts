/**
 * Job rows an attacker who can write to a job store would plant: each names
 * a function reference that runs code of the attacker's choosing when
 * imported or called, and each leaves a trace (a marker file, a global) if it
 * ever does. The reference rules must refuse every one of them.
 */
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ReferenceRule } from '../../src/jobs/errors.ts';

export interface AttackRow {
  id: string;
  funcRef: string;
  args: unknown[];
  /** The rule that refuses it. */
  rule: ReferenceRule;
}

export interface Attack {
  /** Where the marker files would appear (also holds the planted module). */
  dir: string;
  /** The global the planted modules set. */
  global: string;
  rows: AttackRow[];
  /** Marker files that exist now (there must be none). */
  traces(): string[];
}

/** A JavaScript module that leaves both traces when evaluated. */
function payload(dir: string, global: string, label: string): string {
  const file = JSON.stringify(join(dir, `marker-${label}`));
  return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${file}, 'ran');\nglobalThis[${JSON.stringify(global)}] = ${JSON.stringify(label)};\nexport function run() {}\n`;
}

/**
 * Plants the module of the path attacks in a fresh folder under the OS temp
 * directory and returns the rows. `root` is the application root the rows'
 * relative references are resolved against (the repository, in the tests).
 */
export function plantAttack(root: string): Attack {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'horarium-attack-')));
  const global = `horarium_attack_${process.pid}_${Date.now()}`;
  const evil = join(dir, 'evil.mjs');
  writeFileSync(evil, payload(dir, global, 'module'));
  const rows: AttackRow[] = [
    {
      id: 'attack-node-builtin',
      funcRef: 'node:child_process:execSync',
      args: [`touch ${join(dir, 'marker-exec')}`],
      rule: 'builtin',
    },
    {
      id: 'attack-bare-builtin',
      funcRef: 'child_process:execSync',
      args: [`touch ${join(dir, 'marker-bare')}`],
      rule: 'builtin',
    },
    {
      id: 'attack-data-url',
      funcRef: `data:text/javascript,${encodeURIComponent(payload(dir, global, 'data'))}:run`,
      args: [],
      rule: 'url-scheme',
    },
    { id: 'attack-absolute', funcRef: `${evil}:run`, args: [], rule: 'outside-roots' },
    {
      id: 'attack-dot-dot',
      funcRef: `./${relative(root, evil)}:run`,
      args: [],
      rule: 'outside-roots',
    },
    {
      id: 'attack-https',
      funcRef: 'https://127.0.0.1:9/evil.mjs:run',
      args: [],
      rule: 'url-scheme',
    },
  ];
  const traces = (): string[] =>
    ['exec', 'bare', 'data', 'module']
      .map((label) => join(dir, `marker-${label}`))
      .filter((file) => {
        try {
          return realpathSync(file) !== '';
        } catch {
          return false;
        }
      });
  return { dir, global, rows, traces };
}

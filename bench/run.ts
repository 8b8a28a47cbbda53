// Benchmark dispatcher: `node --import tsx bench/run.ts [name...]` (or `npm run bench -- name`).
// Each suite is bench/<name>.ts exporting `run(): Promise<void>`. To add a suite, add one line
// to `suites` below. Suites are imported lazily, so one suite failing to import does not stop
// the others from being listed or run.

interface Suite {
  run(): Promise<void>;
}

const suites: Record<string, () => Promise<Suite>> = {
  triggers: () => import('./triggers.ts'),
  scheduler: () => import('./scheduler.ts'),
  executors: () => import('./executors.ts'),
  stores: () => import('./stores.ts'),
  cluster: () => import('./cluster.ts'),
  failover: () => import('./failover.ts'),
  history: () => import('./history.ts'),
  'redis-scripts': () => import('./redis-scripts.ts'),
  observability: () => import('./observability.ts'),
  'cluster-memory': () => import('./cluster-memory.ts'),
  dashboard: () => import('./dashboard.ts'),
  calendars: () => import('./calendars.ts'),
};

async function main(argv: readonly string[]): Promise<number> {
  const available = Object.keys(suites);
  const requested = argv.filter((arg) => arg !== '--');
  const unknown = requested.filter((name) => !Object.hasOwn(suites, name));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown suite ${unknown.map((n) => `'${n}'`).join(', ')} (available: ${available.join(', ')})`,
    );
    return 2;
  }
  const names = requested.length > 0 ? requested : available;
  if (requested.length === 0) {
    console.log(`bench: running all suites: ${available.join(', ')}`);
    console.log('bench: run one with `npm run bench -- <name>`\n');
  }
  for (const name of names) {
    const load = suites[name];
    if (load === undefined) continue;
    console.log(`=== ${name} ===`);
    const suite = await load();
    await suite.run();
    console.log();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);

// One scheduler node of the cluster bench (bench/cluster.ts), in a process of its own:
//
//   node --import tsx bench/cluster-node.ts <store-url> <table-or-prefix> <node-id>
//
// Starts paused on the store and prints READY. On `GO` (stdin) it resumes; every run of the
// bench task counts, and every 100 ms it prints `RAN <count> <epoch ms of its last run>` when the
// count changed. On `DUMP` it prints `IDS <json of the fire keys it ran>` and exits.
import { createInterface } from 'node:readline';
import { AsyncScheduler, currentJob, silentLogger } from '../src/index.ts';
import { openStore } from './store-targets.ts';

const [url, name, nodeId] = process.argv.slice(2);
if (url === undefined || name === undefined || nodeId === undefined) {
  console.error('usage: cluster-node.ts <store-url> <table-or-prefix> <node-id>');
  process.exit(2);
}

const store = openStore(url, name);
const ran: string[] = [];
let last = 0;
const scheduler = new AsyncScheduler({
  jobstores: { default: store },
  jobDefaults: { misfireGraceTime: null },
  timezone: 'UTC',
  logger: silentLogger,
  storePollInterval: 0.05,
  cluster: { nodeId, claimBatch: 500, wake: 'poll' },
});
scheduler.registerTask('tick', () => {
  const job = currentJob();
  if (job !== undefined) ran.push(`${job.id}@${job.scheduledRunTime.getTime()}`);
  last = Date.now();
});
await scheduler.start({ paused: true });
console.log('READY');

let reported = 0;
setInterval(() => {
  if (ran.length === reported) return;
  reported = ran.length;
  console.log(`RAN ${reported} ${last}`);
}, 100).unref();

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'GO') scheduler.resume();
  if (line === 'DUMP') {
    void scheduler.shutdown({ wait: false }).then(() => {
      process.stdout.write(`IDS ${JSON.stringify(ran)}\n`, () => process.exit(0));
    });
  }
});

// The node the failover benchmark (bench/failover.ts) kills:
//
//   node --import tsx bench/failover-node.ts <store-url> <table-or-prefix> <node-id> <run-lease-s>
//
// A scheduler on the store whose task `hold` prints `STARTED <job id>` and runs for a minute.
// Prints READY once started.
import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncScheduler, currentJob, silentLogger } from '../src/index.ts';
import { openStore } from './store-targets.ts';

const [url, name, nodeId, lease = '2'] = process.argv.slice(2);
if (url === undefined || name === undefined || nodeId === undefined) {
  console.error('usage: failover-node.ts <store-url> <table-or-prefix> <node-id> <run-lease-s>');
  process.exit(2);
}
const store = openStore(url, name);
const scheduler = new AsyncScheduler({
  jobstores: { default: store },
  timezone: 'UTC',
  logger: silentLogger,
  storePollInterval: 0.05,
  cluster: { nodeId, runLease: Number(lease), claimLease: Number(lease) },
});
scheduler.registerTask('hold', async () => {
  console.log(`STARTED ${currentJob()?.id}`);
  await sleep(60_000);
});
await scheduler.start();
console.log('READY');

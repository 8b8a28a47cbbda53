/**
 * `horarium fires [job]` and `horarium why <job> <time>`: a store's fire
 * ledger and the answer to "why didn't it run at …?", from a terminal, with
 * no scheduler running.
 */

import { explainJob, readFires } from '../../scheduler/history/fire-history.ts';
import type { FireRecord, FireState } from '../../stores/ledger.ts';
import { formatInstant } from '../../time/format.ts';
import type { Zone } from '../../time/zone.ts';
import { paint, printable, table } from '../format.ts';
import { CliError } from '../store.ts';
import { type JobsOptions, print, printJson, withStore } from './jobs.ts';

export interface FiresOptions extends JobsOptions {
  limit?: string;
  state?: string;
  from?: string;
  to?: string;
  cursor?: string;
}

const STATE_COLOURS: Partial<Record<FireState, Parameters<typeof paint>[0]>> = {
  succeeded: 'green',
  running: 'yellow',
  claimed: 'yellow',
  failed: 'red',
  timed_out: 'red',
  abandoned: 'red',
  cancelled: 'yellow',
  missed: 'yellow',
  skipped_max_instances: 'yellow',
  excluded: 'yellow',
  retried: 'yellow',
  queued: 'yellow',
};

function stateText(state: FireState): string {
  const colour = STATE_COLOURS[state];
  return colour === undefined ? state : paint(colour, state);
}

const at = (time: number | null, zone: Zone): string =>
  time === null ? '-' : formatInstant(time, zone);

function readLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit))
    throw new CliError(`--limit: ${JSON.stringify(text)} is not a whole number`);
  return limit;
}

export async function listFires(jobId: string | undefined, options: FiresOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const states = options.state
      ?.split(',')
      .map((state) => state.trim())
      .filter((state) => state !== '') as FireState[] | undefined;
    const limit = readLimit(options.limit);
    const page = await readFires(
      open,
      {
        ...(jobId === undefined ? {} : { jobId }),
        ...(states === undefined ? {} : { states }),
        ...(limit === undefined ? {} : { limit }),
        ...(options.from === undefined ? {} : { from: options.from }),
        ...(options.to === undefined ? {} : { to: options.to }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      },
      zone,
    );
    if (options.json === true) return printJson(page);
    if (page.fires.length === 0) return print('No fires.');
    print(
      table(
        [
          ...(jobId === undefined ? ['job'] : []),
          `scheduled (${zone.name})`,
          'state',
          'node',
          'fence',
          'started',
          'finished',
          'note',
        ],
        page.fires.map((fire) => [
          ...(jobId === undefined ? [printable(fire.jobId)] : []),
          at(fire.scheduledTime, zone),
          stateText(fire.state),
          printable(fire.node ?? '-'),
          String(fire.fence),
          fire.startedAt === null ? '-' : `+${Math.max(0, fire.startedAt - fire.scheduledTime)} ms`,
          at(fire.finishedAt, zone),
          printable(noteOf(fire)),
        ]),
      ),
    );
    if (page.cursor !== null) print(`more: --cursor ${page.cursor}`);
  });
}

function noteOf(fire: FireRecord): string {
  const error = fire.errorName === null ? '' : `${fire.errorName}: ${fire.errorMessage ?? ''}`;
  const text = [error, fire.detail ?? ''].filter((part) => part !== '').join('; ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export async function whyNot(jobId: string, time: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const answer = await explainJob(open, jobId, time, zone);
    if (options.json === true) return printJson(answer);
    print(
      `${paint('bold', answer.verdict)}${answer.slot === null ? '' : `  (fire time ${formatInstant(answer.slot.getTime(), zone)})`}`,
    );
    for (const sentence of answer.evidence) print(`- ${printable(sentence)}`);
  });
}

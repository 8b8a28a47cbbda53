#!/usr/bin/env node
/**
 * The `horarium` command: `run`, `jobs`, `fires`, `why`, `next` and `dashboard`. Mistakes (a bad
 * expression, an unknown zone, a missing store) are reported as one line on
 * stderr, `horarium: <message>`, with exit code 1; no stack traces unless
 * `HORARIUM_DEBUG=1` is set.
 */
import { Command, CommanderError, Option } from 'commander';
import { HorariumError } from '../errors.ts';
import { VERSION } from '../version.ts';
import type { DashboardCommandOptions } from './commands/dashboard.ts';
import { type FiresOptions, listFires, whyNot } from './commands/history.ts';
import {
  type JobsOptions,
  listJobs,
  pauseJob,
  removeJob,
  resumeJob,
  runJobNow,
  showJob,
} from './commands/jobs.ts';
import { type NextOptions, nextCommand } from './commands/next.ts';
import { type RunOptions, runCommand } from './commands/run.ts';
import { printable } from './format.ts';
import { DEFAULT_STORE_URL } from './store.ts';

/** Commander's (possibly multi-line) error text as one line with a hint. */
function oneLine(text: string): string {
  const message = text
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  return `horarium: ${message} (see 'horarium --help')\n`;
}

function storeOption(): Option {
  return new Option(
    '--store <url>',
    `job store URL: sqlite:<path>, postgres://…, mysql://…, redis://… (env HORARIUM_STORE; default ${DEFAULT_STORE_URL})`,
  );
}

/**
 * `--timezone <zone>`, with `--tz` as an alias, on every command: the same
 * spelling works everywhere.
 */
function timezoneOption(description: string): Option {
  return new Option('--tz, --timezone <zone>', description);
}

/** The job reference rule options (`jobReferences`, see docs/security.md) on a command. */
function withReferenceOptions(command: Command, baseDefault: string): Command {
  return command
    .option(
      '--base <dir>',
      `application root: stored relative job references are relative to it (default: ${baseDefault})`,
    )
    .option(
      '--roots <dirs>',
      'comma-separated directories job modules may load from (default: the application root)',
    )
    .option(
      '--packages <names>',
      'comma-separated packages job references may name (default: none)',
    )
    .option(
      '--builtins <names>',
      "comma-separated Node.js built-ins job references may name, or 'true' (default: none)",
    );
}

function program(): Command {
  const root = new Command('horarium')
    .description('Horarium job scheduler: run a scheduler, manage stored jobs, preview triggers')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(oneLine(text)) })
    .exitOverride();

  const run = root
    .command('run')
    .description('run the jobs a module configures, until Ctrl-C')
    .argument(
      '<file>',
      'module whose default export is (scheduler) => {…} or an array of job specs',
    )
    .addOption(storeOption())
    .addOption(timezoneOption("the scheduler's time zone (default: the host's)"))
    .option(
      '--poll-interval <seconds>',
      'how often the store is polled for external changes (default 5)',
    )
    .option('--verbose', 'also log the scheduler’s info messages and stack traces');
  withReferenceOptions(run, 'the folder with a package.json above <file>').action(
    (file: string, options: RunOptions) => runCommand(file, options),
  );

  const jobs = root
    .command('jobs')
    .description('list and manage the jobs in a persistent store')
    .exitOverride();
  const jobCommand = (name: string, description: string, withId: boolean): Command => {
    const command = jobs
      .command(name)
      .description(description)
      .addOption(storeOption())
      .option('--json', 'print JSON')
      .addOption(timezoneOption("zone for printed times (default: the host's)"))
      .exitOverride();
    withReferenceOptions(command, 'the folder with a package.json above the working directory');
    if (withId) command.argument('<id>', 'job id');
    return command;
  };
  jobCommand('list', 'list every job (table, or --json)', false).action((options: JobsOptions) =>
    listJobs(options),
  );
  jobCommand('show', 'show one job', true).action((id: string, options: JobsOptions) =>
    showJob(id, options),
  );
  jobCommand('pause', 'pause a job (next run time: none)', true).action(
    (id: string, options: JobsOptions) => pauseJob(id, options),
  );
  jobCommand('resume', 'resume a job from now', true).action((id: string, options: JobsOptions) =>
    resumeJob(id, options),
  );
  jobCommand('remove', 'remove a job', true).action((id: string, options: JobsOptions) =>
    removeJob(id, options),
  );
  jobCommand(
    'run-now',
    'make a job due now (a running scheduler runs it at its next poll)',
    true,
  ).action((id: string, options: JobsOptions) => runJobNow(id, options));

  const history = (name: string, description: string): Command => {
    const command = root
      .command(name)
      .description(description)
      .addOption(storeOption())
      .option('--json', 'print JSON')
      .addOption(timezoneOption("zone for times given and printed (default: the host's)"))
      .exitOverride();
    withReferenceOptions(command, 'the folder with a package.json above the working directory');
    return command;
  };
  history('fires', "a store's fire ledger, newest first (table, or --json)")
    .argument('[job]', 'job id (default: every job)')
    .option('-n, --limit <n>', 'fires per page, 1 to 1000', '50')
    .option('--state <states>', 'only these states, comma-separated (e.g. failed,missed)')
    .option('--from <time>', 'only fires scheduled at or after this time')
    .option('--to <time>', 'only fires scheduled at or before this time')
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .action((job: string | undefined, options: FiresOptions) => listFires(job, options));
  history('why', 'why a job did or did not run at a time: a verdict and its evidence')
    .argument('<job>', 'job id')
    .argument('<time>', "the time asked about: ISO 8601, or 'YYYY-MM-DD HH:MM' in the job's zone")
    .action((job: string, time: string, options: JobsOptions) => whyNot(job, time, options));

  const dashboard = root
    .command('dashboard')
    .description('serve the web dashboard of a job store (http://127.0.0.1:8787/) until Ctrl-C')
    .addOption(storeOption())
    .option(
      '--host <host>',
      'address to listen on; other than loopback needs --auth or --read-only',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on', '8787')
    .option('--read-only', 'show no action and refuse every change')
    .option(
      '--auth <user:pass>',
      'ask for these credentials (HTTP basic auth; env HORARIUM_DASHBOARD_AUTH)',
    )
    .addOption(timezoneOption("zone for shown times (default: the host's)"))
    .exitOverride();
  withReferenceOptions(
    dashboard,
    'the folder with a package.json above the working directory',
  ).action(async (options: DashboardCommandOptions) => {
    // Loaded only for this command: the others never load the web server.
    const { dashboardCommand } = await import('./commands/dashboard.ts');
    await dashboardCommand(options);
  });

  const next = root
    .command('next')
    .description(
      'preview the next fire times of a cron expression or trigger spec, or of a stored job (with its calendar)',
    )
    .argument(
      '[spec]',
      "crontab line ('30 2 * * *', '@daily') or type:key=value,… ('interval:minutes=5', 'cron:hour=3,minute=30')",
    )
    .addOption(timezoneOption("time zone (default: the host's)"))
    .option('-n, --count <n>', 'how many fire times', '10')
    .option(
      '--from <time>',
      'start from this time (ISO 8601, or YYYY-MM-DD HH:MM in the zone; default now)',
    )
    .option('--seed <text>', "seed of hashed cron fields (H): a job's id, to preview its times")
    .option('--job <id>', 'preview a stored job: its trigger, with its calendar applied')
    .option('--calendar <name>', "apply a calendar of the store to the spec's fire times")
    .option('--show-excluded', 'also list the fire times the calendar excludes')
    .addOption(storeOption())
    .option('--json', 'print JSON');
  withReferenceOptions(next, 'the folder with a package.json above the working directory').action(
    (spec: string | undefined, options: NextOptions) => nextCommand(spec, options),
  );

  return root;
}

async function main(argv: readonly string[]): Promise<number> {
  const root = program();
  try {
    await root.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" that exit 0; commander already printed the message.
      return error.exitCode;
    }
    const debug = process.env.HORARIUM_DEBUG === '1';
    if (debug && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    const message = error instanceof Error ? error.message : String(error);
    const known = error instanceof HorariumError;
    // Unexpected failures say so; user mistakes are just the message.
    process.stderr.write(
      `horarium: ${known ? '' : 'error: '}${printable(message.split('\n')[0] ?? '')}${!known && !debug ? ' (set HORARIUM_DEBUG=1 for details)' : ''}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // `run` may leave user timers behind after a graceful shutdown; the command is over.
    if (process.argv[2] === 'run') process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`horarium: ${String(error)}\n`);
    process.exit(1);
  },
);

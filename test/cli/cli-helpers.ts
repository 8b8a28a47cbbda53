/** Spawning the CLI as a user would (through tsx, so no build is needed) and reading its output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'src/cli/main.ts');
export const FIXTURES = join(ROOT, 'test/fixtures');
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<CliResult>;
}

const tempDirs = new Set<string>();

/** A fresh directory under the OS temp dir; {@link removeTempDirs} removes it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'horarium-cli-'));
  tempDirs.add(dir);
  return dir;
}

/** Removes the directories {@link tempDir} made: call it in `afterAll`, once the CLIs using them have exited. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function startCli(args: readonly string[], cwd: string = FIXTURES): CliProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.HORARIUM_STORE;
  delete env.HORARIUM_DEBUG;
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<CliResult>((resolveExit) => {
    child.on('close', (code) => resolveExit({ code, stdout: out, stderr: err }));
  });
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (child.exitCode !== null)
        throw new Error(`CLI exited (${child.exitCode}) before ${pattern}: ${out}\n${err}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], cwd: string = FIXTURES): Promise<CliResult> {
  return startCli(args, cwd).exited;
}

/** Occurrences of a pattern in text. */
export function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

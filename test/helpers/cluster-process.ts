/**
 * A scheduler node in a child process of its own (test/fixtures/cluster-child.ts),
 * for the cluster and chaos tests: started, waited for, stopped, frozen with
 * SIGSTOP, killed, and what it printed kept for failure messages (never
 * printed on a passing run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DurableStoreTarget } from './durability.ts';
import { waitFor } from './durability.ts';

const CHILD = fileURLToPath(new URL('../fixtures/cluster-child.ts', import.meta.url));

export interface ClusterProcessOptions {
  /** The run lease (and claim lease), seconds. */
  readonly leaseS: number;
  /** Extra environment of the child (e.g. PGAPPNAME to find its sessions). */
  readonly env?: Readonly<Record<string, string>>;
}

export class ClusterProcess {
  readonly process: ChildProcess;
  readonly id: string;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(target: DurableStoreTarget, id: string, options: ClusterProcessOptions) {
    this.id = id;
    const args = ['--import', 'tsx', CHILD, target.url, target.name, id, String(options.leaseS)];
    if (target.sqliteDriver !== undefined) args.push(target.sqliteDriver);
    this.process = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.process.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `node ${this.id} to start`,
      () => this.stdout.includes('READY') || !this.alive,
      timeoutMs,
      () => this.stderr.slice(-2000),
    );
    if (!this.stdout.includes('READY'))
      throw new Error(`node ${this.id} exited before it was ready: ${this.stderr.slice(-2000)}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.process.kill(signal);
  }

  kill(): void {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
  }
}

/**
 * Live updates for the pages: while a browser listens (server-sent events),
 * the running fires and job counts of each store are read every second, and
 * at once when the scheduler reports an event, and sent only when they change.
 */
import type { FireRecord } from '../stores/ledger.ts';
import { runningFires } from './data.ts';
import type { DashboardSource } from './source.ts';

/** An update: `running` (the running fires of a store) or `counts`. */
export interface LiveUpdate {
  readonly event: 'running' | 'counts';
  readonly data: string;
}

type Listener = (update: LiveUpdate) => void;

const POLL_MS = 1000;
/** A burst of scheduler events is read once. */
const HINT_DELAY_MS = 50;

export class LiveFeed {
  readonly #source: DashboardSource;
  readonly #listeners = new Set<Listener>();
  readonly #last = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #hint: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #reading = false;

  constructor(source: DashboardSource) {
    this.#source = source;
  }

  /** Listens; the current state is sent first. Returns the way to stop. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    for (const [key, data] of this.#last)
      listener({ event: key.split(':')[0] as LiveUpdate['event'], data });
    if (this.#listeners.size === 1) this.#start();
    else void this.#read();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #start(): void {
    this.#unsubscribe = this.#source.subscribe(() => {
      this.#hint ??= setTimeout(() => {
        this.#hint = undefined;
        void this.#read();
      }, HINT_DELAY_MS);
    });
    this.#timer = setInterval(() => void this.#read(), POLL_MS);
    this.#timer.unref();
    void this.#read();
  }

  #stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#hint);
    this.#timer = undefined;
    this.#hint = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#last.clear();
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      await this.#source.ready();
      for (const { alias } of this.#source.stores()) {
        const running = await runningFires(this.#source, alias);
        this.#send(`running:${alias}`, { store: alias, fires: running.map(slim) });
        const counts = await this.#source.counts(alias).catch(() => null);
        if (counts !== null) this.#send(`counts:${alias}`, { store: alias, ...counts });
      }
    } catch {
      // The store is unreachable: the next read tries again.
    } finally {
      this.#reading = false;
    }
  }

  #send(key: string, value: unknown): void {
    const data = JSON.stringify(value);
    if (this.#last.get(key) === data) return;
    this.#last.set(key, data);
    const event = key.split(':')[0] as LiveUpdate['event'];
    for (const listener of this.#listeners) listener({ event, data });
  }
}

/** What the running table shows of a fire (no lease renewals: they would resend every second). */
function slim(fire: FireRecord): Record<string, unknown> {
  return {
    fireId: fire.fireId,
    jobId: fire.jobId,
    state: fire.state,
    node: fire.node,
    scheduledTime: fire.scheduledTime,
    startedAt: fire.startedAt,
  };
}

/**
 * Captures what this thread writes to `process.stderr`. The process pool's
 * child processes write there (the pool pipes their standard error into
 * ours), so a test that makes a child crash on purpose captures the crash
 * report, asserts on it, and keeps a passing run's output clean.
 */

export interface StderrCapture {
  /** What was written since the capture began. */
  text(): string;
  /** Resolves once the captured text contains `expected`; rejects after `timeoutMs`. */
  waitFor(expected: string, timeoutMs?: number): Promise<void>;
  /** Gives `process.stderr` back and returns everything captured. */
  stop(): string;
}

export function captureStderr(): StderrCapture {
  const stderr = process.stderr;
  const original = Object.getOwnPropertyDescriptor(stderr, 'write');
  let captured = '';
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    captured +=
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  Object.defineProperty(stderr, 'write', { value: write, configurable: true, writable: true });
  let stopped = false;
  return {
    text: () => captured,
    async waitFor(expected, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!captured.includes(expected)) {
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs} ms waiting for ${JSON.stringify(expected)} on stderr; captured:\n${captured}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    stop() {
      if (!stopped) {
        stopped = true;
        if (original === undefined) delete (stderr as { write?: unknown }).write;
        else Object.defineProperty(stderr, 'write', original);
      }
      return captured;
    },
  };
}

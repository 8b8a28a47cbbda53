/**
 * Services the tests reach over TCP besides the stores (the MQTT broker):
 * whether they answer, and describing tests that need them as the store
 * tests do (skipped with a message, or failing under CI=true).
 */
import { connect } from 'node:net';
import { describe, it } from 'vitest';
import { redactUrl } from '../../src/config/redact-url.ts';

export const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** Null when a TCP connection to `url`'s host and port opens within 5 s, else why not. */
export async function tcpUnreachable(url: string, defaultPort: number): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: port === '' ? defaultPort : Number(port) });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(5000, () => done('no answer within 5 s'));
    socket.once('connect', () => done(null));
    socket.once('error', (error) => done(error.message));
  });
}

/**
 * Registers `register`'s tests when `reason` is null. Otherwise, under
 * CI=true, one failing test names the missing service; elsewhere the tests
 * are skipped with that message.
 */
export function describeWithService(
  title: string,
  service: string,
  url: string,
  reason: string | null,
  register: () => void,
): void {
  if (reason === null) {
    describe(title, register);
    return;
  }
  const message = `${service} is not reachable at ${redactUrl(url)} (${reason}); start it or set the URL environment variable`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`needs ${service}`, () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`Skipping "${title}": ${message}`);
    describe.skip(`${title} (skipped: ${message})`, () => {
      it(`needs ${service}`, () => {});
    });
  }
}

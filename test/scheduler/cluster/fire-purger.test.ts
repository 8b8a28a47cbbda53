/** Which node purges the fire history: the live node with the smallest id, decided alike by every node. */
import { describe, expect, it } from 'vitest';
import { isPurger } from '../../../src/scheduler/cluster/fire-purger.ts';
import type { NodeRecord } from '../../../src/stores/ledger.ts';

const node = (nodeId: string, lastSeen: number): NodeRecord => ({
  nodeId,
  hostname: 'h',
  pid: 1,
  version: '0',
  startedAt: 0,
  lastSeen,
  clockSkewMs: 0,
});

describe('isPurger', () => {
  const nodes = [node('b', 1000), node('a', 1000), node('0-dead', 100)];
  it('is the live node with the smallest id, and only it', () => {
    expect(isPurger('a', nodes, 1500, 1000)).toBe(true);
    expect(isPurger('b', nodes, 1500, 1000)).toBe(false);
  });
  it('passes over nodes whose check-ins stopped, and a node not yet checked in decides alone', () => {
    expect(isPurger('a', nodes, 1500, 1000)).toBe(true);
    expect(isPurger('0-dead', nodes, 1500, 1000)).toBe(true);
    expect(isPurger('c', [], 0, 1000)).toBe(true);
    expect(isPurger('b', [node('b', 1000), node('a', 400)], 1500, 1000)).toBe(true);
  });
});

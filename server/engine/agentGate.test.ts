import { describe, expect, it } from 'vitest';
import { AgentGate } from './agentGate';

const tick = () => new Promise((r) => setImmediate(r));

describe('an agent gate', () => {
  it('lets every task through at once when the agent has no limits', async () => {
    const gate = new AgentGate();
    const releases = await Promise.all([1, 2, 3].map(() => gate.acquire('a', undefined, new AbortController().signal)));
    expect(releases).toHaveLength(3);
    expect(gate.load('a')).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('given concurrency 2, holds the third task until one of the first two ends, in order', async () => {
    const gate = new AgentGate();
    const started: number[] = [];
    const releases: (() => void)[] = [];
    for (const n of [1, 2, 3, 4]) void gate.acquire('a', { concurrency: 2 }, new AbortController().signal).then((r) => (started.push(n), releases.push(r)));
    await tick();
    expect(started).toEqual([1, 2]);
    expect(gate.load('a')).toEqual({ inFlight: 2, waiting: 2 });
    releases[0]!();
    releases[0]!(); // a second release of the same task changes nothing
    await tick();
    expect(started).toEqual([1, 2, 3]);
    expect(gate.load('a')).toEqual({ inFlight: 2, waiting: 1 });
  });

  it('keeps agents apart: one agent at its limit does not hold another', async () => {
    const gate = new AgentGate();
    await gate.acquire('a', { concurrency: 1 }, new AbortController().signal);
    let other = false;
    void gate.acquire('b', { concurrency: 1 }, new AbortController().signal).then(() => (other = true));
    await tick();
    expect(other).toBe(true);
  });

  it('drops an aborted waiter from the queue, rejecting with the reason, and starts the next one instead', async () => {
    const gate = new AgentGate();
    const first = await gate.acquire('a', { concurrency: 1 }, new AbortController().signal);
    const ac = new AbortController();
    const aborted = gate.acquire('a', { concurrency: 1 }, ac.signal);
    let third = false;
    void gate.acquire('a', { concurrency: 1 }, new AbortController().signal).then(() => (third = true));
    ac.abort(new Error('timed out'));
    await expect(aborted).rejects.toThrow('timed out');
    first();
    await tick();
    expect(third).toBe(true);
  });

  it('given 2 per minute, starts the third task only when the first start leaves the 60 s window', async () => {
    let now = 1_000_000;
    const gate = new AgentGate(() => now);
    const started: number[] = [];
    for (const n of [1, 2, 3]) void gate.acquire('a', { ratePerMinute: 2 }, new AbortController().signal).then((r) => (started.push(n), r()));
    await tick();
    expect(started).toEqual([1, 2]);
    now += 60_001;
    // The gate woke itself with a timer; here it is asked again as a release would.
    void gate.acquire('a', { ratePerMinute: 2 }, new AbortController().signal).then((r) => (started.push(4), r()));
    await tick();
    expect(started).toEqual([1, 2, 3, 4]);
  });
});

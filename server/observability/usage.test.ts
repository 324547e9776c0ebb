import { describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { runUsage } from './usage';

let seq = 0;
const ev = (type: string, source: string, payload: Record<string, unknown>): SpineEvent =>
  ({ seq: ++seq, id: `e${seq}`, type, key: null, runId: 'r', causationId: null, source: { kind: source === 'engine' ? 'engine' : 'agent', name: source }, time: '', envelopeVersion: 1, payload, idempotencyKey: null, hash: '', prevHash: '' }) as unknown as SpineEvent;

describe('runUsage', () => {
  it('sums completions and tool calls per agent; cost only over priced calls; null without usage', () => {
    expect(runUsage([ev('task.completed', 'echo', { output: 1 })])).toBeNull();
    const u = runUsage([
      ev('task.completed', 'router', { inputTokens: 100, outputTokens: 10, model: 'm', cost: 0.5 }),
      ev('task.tool_called', 'engine', { tool: 'helper', inputTokens: 20, outputTokens: 5, model: 'm' }),
      ev('task.completed', 'helper', { inputTokens: 30, outputTokens: 1, model: 'm' }),
      ev('task.completed', 'echo', { output: 1 }),
      ev('task.dispatched', 'engine', { inputTokens: 999 }),
    ])!;
    expect(u).toMatchObject({ inputTokens: 150, outputTokens: 16, cost: 0.5, calls: 3, priced: 1 });
    expect(u.byAgent).toEqual([
      { agent: 'router', inputTokens: 100, outputTokens: 10, cost: 0.5, calls: 1, priced: 1 },
      { agent: 'helper', inputTokens: 50, outputTokens: 6, cost: 0, calls: 2, priced: 0 },
    ]);
  });
});

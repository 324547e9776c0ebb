/**
 * Issue 10 §3, the reproduction: a run whose next agent input is larger than the old 256 KiB payload limit
 * (a 150 KB input doubled by a mapping) used to stay "running" because its task.dispatched was refused. With
 * payloads stored by reference up to the 64 MiB maximum, the run completes, every large event is a blob
 * referenced from a small row, and the chain (blobs included) verifies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { logQueries } from '@/server/spine';
import { canonicalJson } from '@/server/spine/log/hashChain';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

const doc = {
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'twice', kind: 'agent', position: { x: 200, y: 0 }, config: { agent: 'echo', input: { first: 'input.text', second: 'input.text' }, timeoutMs: 10_000, retry: { maxAttempts: 1, initialBackoffMs: 0, backoffMultiplier: 2, maxBackoffMs: 0, jitter: 0 }, onStale: 'rerun' } },
    { id: 'done', kind: 'end', position: { x: 400, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'twice' },
    { id: 'e2', source: 'twice', target: 'done' },
  ],
} as WorkflowDocument;

describe(`large agent inputs (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a 150 KB input doubled by a mapping reaches the agent whole and the run completes', async () => {
    h = await openHarness({ seed: true });
    await h.service.workflows.create({ name: 'Twice', slug: 'twice', document: doc });
    await h.service.publishWorkflow('twice', { createdBy: 'test' });
    const text = 'Akte 4711: Schriftsatz – Seite … '.repeat(4700);
    expect(Buffer.byteLength(text)).toBeGreaterThan(150_000);
    const { runId } = await h.service.startRun('twice', { input: { text } }, 'olga');
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed' });
    const dispatched = events.find((e) => e.type === 'task.dispatched')!;
    expect(dispatched.payload).toMatchObject({ nodeId: 'twice', input: { first: text, second: text } });
    expect(Buffer.byteLength(canonicalJson(dispatched.payload))).toBeGreaterThan(300_000);
    const completed = events.find((e) => e.type === 'task.completed')!;
    expect(completed.payload).toMatchObject({ nodeId: 'twice', output: { echo: { first: text, second: text } } });

    const rows = await logQueries(h.spine.log).all<{ seq: unknown; payload: string }>('SELECT seq, payload FROM events WHERE run_id = ?', [runId]);
    const byReference = rows.filter((r) => r.payload.startsWith('{"$blob":'));
    expect(byReference.map((r) => Number(r.seq))).toEqual(expect.arrayContaining([dispatched.seq, completed.seq]));
    for (const r of rows) expect(Buffer.byteLength(r.payload)).toBeLessThan(64 * 1024 + 1);
    expect(await h.spine.verify()).toMatchObject({ ok: true });
  }, 60_000);
});

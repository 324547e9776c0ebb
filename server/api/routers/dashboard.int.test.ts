/**
 * The dashboard's routers on the selected database, through the real router (createCaller): who may read
 * what (everyone signed in reads the timeline, runs and metrics; audit needs the auditor role; cancelling
 * needs an operator), the timeline's snapshot and live tail resuming after a cursor, a run's detail and
 * reasoning path, and a tampered event reported by the integrity check.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/api/actor';
import { openAudit } from '@/server/audit';
import { openHarness, waitForEvent, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';

const person = (name: string, roles: Actor['roles']): Actor => ({ kind: 'user', id: name, name, roles });
const VIEWER = person('vera', []);
const AUDITOR = person('aude', ['auditor']);
const OPERATOR = person('otto', ['operator']);

function callerAs(h: Harness, actor: Actor | null) {
  return createCaller(createContextInner({ actor, services: { spine: h.spine, engine: h.service } }));
}

describe(`dashboard routers (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('lets everyone signed in read, auditors verify, operators cancel; nobody else', async () => {
    h = await openHarness();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-audit-router-'));
    openAudit(h.spine, { keyFile: path.join(dir, 'key.pem'), journalFile: path.join(dir, 'journal.jsonl'), everyEvents: 5 });
    const { runId } = await h.service.startRun('procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy a chair' }, 'otto');
    await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');

    const viewer = callerAs(h, VIEWER);
    const snap = await viewer.events.snapshot({ filter: { runId }, firstLimit: 3 });
    expect(snap.total).toBeGreaterThan(3);
    expect(snap.first.map((e) => e.seq)).toEqual([...snap.first.map((e) => e.seq)].sort((a, b) => b - a));
    expect((await viewer.runs.list({ statuses: ['waiting'] })).rows.map((r) => r.id)).toContain(runId);
    expect((await viewer.runs.detail({ runId })).run.status).toBe('waiting');
    expect((await viewer.metrics.overview({ window: '15m' })).approvals.pending).toBe(1);
    await expect(viewer.audit.verify({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(viewer.runs.cancel({ runId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(callerAs(h, null).events.snapshot({ filter: {} })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const auditor = callerAs(h, AUDITOR);
    expect(await auditor.audit.verify({})).toMatchObject({ ok: true, firstBadSeq: null });
    expect((await auditor.audit.status()).keyId).toMatch(/^[0-9a-f]{16}$/);
    await expect(auditor.runs.cancel({ runId })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    await callerAs(h, OPERATOR).runs.cancel({ runId, reason: 'not needed' });
    const cancelled = await waitForEvent(h.spine, runId, (e) => e.type === 'run.cancelled');
    expect(cancelled.source).toEqual({ kind: 'user', name: 'otto' });
  });

  it('tails the timeline after a cursor with the full filter, and traces a run event to the run’s start', async () => {
    h = await openHarness();
    const api = callerAs(h, VIEWER);
    const { runId } = await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you', to: 'de' }, intent: 'Translate it' }, 'tom');
    const done = await waitForEvent(h.spine, runId, (e) => e.type === 'run.completed');
    const path = await api.runs.path({ runId, event: String(done.seq) });
    expect(path).toMatchObject({ complete: true, intent: 'Translate it', target: { seq: done.seq } });
    expect(path.hops[0]!.kind).toBe('start');

    const head = await h.spine.head();
    const stream = await api.events.live({ types: ['note.*'], sourceKind: 'agent', lastEventId: String(head) });
    await h.spine.publish({ type: 'note.added', source: { kind: 'user', name: 'ann' }, payload: {} });
    const wanted = await h.spine.publish({ type: 'note.added', source: { kind: 'agent', name: 'scribe' }, payload: { text: 'hi' } });
    const got: number[] = [];
    // A tracked event is [id, data]: the id is the seq a reconnect resumes after. Leaving the loop ends it.
    for await (const [id, data] of stream as unknown as AsyncIterable<[string, { seq: number }]>) {
      got.push(data.seq);
      expect(id).toBe(String(data.seq));
      break;
    }
    expect(got).toEqual([wanted.seq]);
  });
});

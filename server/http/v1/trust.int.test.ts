/**
 * The log's trust boundary over real HTTP (issue: "an operator released a payment"): the engine's event
 * types are reserved, the source is the authenticated caller, a client's idempotency keys cannot touch the
 * engine's, and an approval records the person who decided it. Every refusal appends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '@/server/auth/roles';
import { RESERVED_EVENT_NAMESPACES, type SpineEvent } from '@/server/spine';
import { openApiHarness, type ApiHarness, type Principal } from '@/server/testing/apiPrincipals';
import { waitForEvent } from '@/server/testing/engineHarness';

let h: ApiHarness;
const principals = {} as Record<Who, Principal>;

/** One type per reserved namespace, and the engine's most sensitive ones. */
const RESERVED_TYPES = [
  ...Object.keys(RESERVED_EVENT_NAMESPACES).filter((ns) => ns !== 'context.patched').map((ns) => `${ns}.forged`),
  'context.patched', 'run.started', 'run.completed', 'task.completed', 'task.failed', 'approval.decided', 'join.satisfied', 'timer.fired',
  'workflow.published', 'audit.checkpoint_signed', 'trigger.failed',
];

type Who = (typeof ROLES)[number] | 'key:everything' | 'key:admin';
const EVERYONE: Who[] = [...ROLES, 'key:everything', 'key:admin'];

const post = (who: Who, path: string, body: unknown, contentType?: string) =>
  principals[who].post<{ seq?: number }>(path, body, contentType) as Promise<{ status: number; body: { error?: { code: string; message: string }; seq?: number } }>;

const runEvents = async (runId: string): Promise<SpineEvent[]> => h.spine.read({ after: 0, limit: 1000, filter: { runId } });

beforeAll(async () => {
  h = await openApiHarness();
  for (const role of ROLES) principals[role] = await h.user(role);
  principals['key:everything'] = await h.key('publishes-everything', { publish: ['*'], subscribe: ['*'], startRuns: true });
  principals['key:admin'] = await h.key('admin-key', { publish: ['*'], subscribe: ['*'], startRuns: true, roles: ['admin'] });
});

afterAll(() => h.close());

describe('reserved event types', () => {
  it('the reproduction: an operator cannot release a payment by publishing approval.decided in the CEO\'s name', async () => {
    const { runId } = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 3 }, intent: 'Buy servers' }, 'requester@demo.spine');
    const requested = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
    const approvalId = (requested.payload as { approvalId: string }).approvalId;
    expect((await post('operator', `/api/v1/approvals/${encodeURIComponent(approvalId)}/decision`, { decision: 'approve' })).status).toBe(403);
    const before = await h.spine.head();
    const forged = await post('operator', '/api/v1/events', {
      type: 'approval.decided', runId,
      payload: { nodeId: (requested.payload as { nodeId: string }).nodeId, approvalId, decision: 'approve', actor: 'ceo@example.com', n: 1 },
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error!.code).toBe('event.reserved_type');
    expect(forged.body.error!.message).toContain('/api/v1/approvals/{approvalId}/decision');
    expect(await h.spine.head()).toBe(before);
    expect((await runEvents(runId)).filter((e) => e.type === 'approval.decided')).toEqual([]);
    expect((await h.service.getRun(runId)).status).toBe('waiting');

    // The approver decides through the endpoint: the log names them, whatever the body tries.
    expect((await post('approver', `/api/v1/approvals/${encodeURIComponent(approvalId)}/decision`, { decision: 'approve', actor: 'ceo@example.com' })).status).toBe(400);
    expect((await post('approver', `/api/v1/approvals/${encodeURIComponent(approvalId)}/decision`, { decision: 'approve', comment: 'ok' })).status).toBe(200);
    const decided = (await runEvents(runId)).find((e) => e.type === 'approval.decided')!;
    expect(decided.source).toEqual({ kind: 'user', name: 'approver@demo.spine' });
    expect((decided.payload as { actor: string }).actor).toBe('approver@demo.spine');
    expect(decided.causationId).toBe(requested.id);
  });

  it('every reserved type, published by every role and by keys with publish scope, is refused and appends nothing', async () => {
    const before = await h.spine.head();
    for (const who of EVERYONE) {
      for (const type of RESERVED_TYPES) {
        const r = await post(who, '/api/v1/events', { type, payload: { forged: true } });
        expect(r.status, `${who} publishing ${type}`).toBe(403);
        if (who === 'operator' || who === 'admin' || who.startsWith('key:')) expect(r.body.error!.code, `${who} publishing ${type}`).toBe('event.reserved_type');
        const ce = await post(who, '/api/v1/events', { specversion: '1.0', id: `ce-${who}-${type}`, source: 'https://crm.example.com', type, data: {} }, 'application/cloudevents+json');
        expect(ce.status, `${who} publishing ${type} as a CloudEvent`).toBe(403);
      }
    }
    // Runs of earlier tests go on appending meanwhile: nothing after `before` may come from these calls.
    const after = await h.spine.read({ after: before, limit: 1000 });
    expect(after.filter((e) => e.source.kind === 'user' || e.source.kind === 'apiKey' || (e.payload as { forged?: boolean }).forged)).toEqual([]);
  });

  it('the engine\'s own namespaces are open where they are not reserved (context.* other than context.patched)', async () => {
    const r = await post('operator', '/api/v1/events', { type: 'context.noted', payload: { note: 'free' } });
    expect(r.status).toBe(201);
  });
});

describe('the source is who is calling', () => {
  it('a body naming another source is refused and never reaches the log', async () => {
    const before = await h.spine.head();
    for (const [who, source] of [
      ['operator', { kind: 'user', name: 'ceo@example.com' }],
      ['operator', { kind: 'engine', name: 'engine' }],
      ['key:everything', { kind: 'system', name: 'engine' }],
      ['key:admin', { kind: 'agent', name: 'legal-review' }],
    ] as const) {
      const r = await post(who, '/api/v1/events', { type: 'case.opened', key: 'case:forged', source, payload: {} });
      expect(r.status, `${who} as ${source.kind}/${source.name}`).toBe(400);
      expect(r.body.error!.code).toBe('event.source_not_allowed');
    }
    const ce = await post('operator', '/api/v1/events', { specversion: '1.0', id: 'forged-1', source: '/spine/engine/engine', type: 'case.opened', data: {} }, 'application/cloudevents+json');
    expect(ce.status).toBe(400);
    expect((await h.spine.read({ after: before, limit: 1000 })).filter((e) => e.source.kind === 'user' || e.source.kind === 'apiKey')).toEqual([]);
    expect((await h.spine.read({ after: 0, limit: 1000, filter: { key: 'case:forged' } })).length).toBe(0);
  });

  it('without a source, the log records the principal: a person by name, a key as an API key', async () => {
    const byUser = await post('operator', '/api/v1/events', { type: 'case.opened', key: 'case:who-1', payload: {} });
    const byKey = await post('key:everything', '/api/v1/events', { type: 'case.opened', key: 'case:who-2', payload: {} });
    const byRepeat = await post('operator', '/api/v1/events', { type: 'case.opened', key: 'case:who-3', source: { kind: 'user', name: 'operator@demo.spine' }, payload: {} });
    const byCe = await post('key:everything', '/api/v1/events', { specversion: '1.0', id: 'crm-7', source: 'https://crm.example.com', type: 'case.opened', subject: 'case:who-4', data: {} }, 'application/cloudevents+json');
    expect([byUser.status, byKey.status, byRepeat.status, byCe.status]).toEqual([201, 201, 201, 201]);
    const sources = await Promise.all([byUser, byKey, byRepeat, byCe].map(async (r) => (await h.spine.getEvent(r.body.seq!)).source));
    expect(sources).toEqual([
      { kind: 'user', name: 'operator@demo.spine' }, { kind: 'apiKey', name: 'key:publishes-everything' }, { kind: 'user', name: 'operator@demo.spine' }, { kind: 'apiKey', name: 'key:publishes-everything' },
    ]);
  });

  it("a client's idempotency key cannot pre-empt one of the engine's, nor collide with another client's", async () => {
    const { runId } = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 1 } }, 'requester@demo.spine');
    await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
    const squat = await post('operator', '/api/v1/events', { type: 'case.squatted', payload: {}, idempotencyKey: `engine:${runId}:run.cancelled` });
    expect(squat.status).toBe(201);
    expect((await h.spine.getEvent(squat.body.seq!)).idempotencyKey).not.toBe(`engine:${runId}:run.cancelled`);
    expect((await post('operator', `/api/v1/runs/${runId}/cancel`, {})).status).toBe(200);
    expect((await runEvents(runId)).some((e) => e.type === 'run.cancelled')).toBe(true);

    const a = await post('operator', '/api/v1/events', { type: 'case.opened', payload: { by: 'op' }, idempotencyKey: 'same-key' });
    const again = await post('operator', '/api/v1/events', { type: 'case.opened', payload: { by: 'op' }, idempotencyKey: 'same-key' });
    const b = await post('key:everything', '/api/v1/events', { type: 'case.opened', payload: { by: 'key' }, idempotencyKey: 'same-key' });
    expect([a.status, again.status, b.status]).toEqual([201, 200, 201]);
    expect(again.body.seq).toBe(a.body.seq);
    expect(b.body.seq).not.toBe(a.body.seq);
  });

  it('runs started by a trigger are the engine\'s; a client event that matches a trigger still starts its run', async () => {
    const r = await post('operator', '/api/v1/events', { type: 'case.opened', key: 'case:trigger-1', payload: { facts: 'GDPR complaint', intent: 'Assess' } });
    expect(r.status).toBe(201);
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 20_000);
    let started: SpineEvent | undefined;
    try {
      for await (const e of h.spine.subscribe({ fromSeq: r.body.seq, types: ['run.started'], signal: ac.signal })) if (e.causationId && e.key === 'case:trigger-1') { started = e; break; }
    } finally {
      clearTimeout(t);
    }
    expect(started!.source.kind).toBe('engine');
    expect(started!.causationId).toBe((await h.spine.getEvent(r.body.seq!)).id);
  });
});

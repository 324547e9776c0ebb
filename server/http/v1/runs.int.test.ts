/**
 * The runs, approvals and workflows API over real HTTP on loopback (the node adapter serving the same
 * handlers as app/api/v1), on the selected database, with API keys for distinct people: start runs
 * (idempotently), read them and their events, cancel, change the context mid-run, retry a failed node,
 * decide approvals (four eyes, 409 on a second decision, 404 unknown), list and read published workflows,
 * and bad input that gets `{error:{code,message}}` and appends nothing.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { createAuthService } from '@/server/auth/service';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { links } from '@/server/testing/given';
import { holdAgentCalls } from '@/server/testing/heldCalls';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';

let h: Harness;
let server: http.Server;
let base: string;
/** Bearer secrets by person: `ops` starts and steers runs, `anna` and `ben` approve. */
const keys: Record<'ops' | 'anna' | 'ben', string> = { ops: '', anna: '', ben: '' };

type Init = { as?: keyof typeof keys; body?: unknown; raw?: string };
async function call(method: string, path: string, init: Init = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${keys[init.as ?? 'ops']}`, ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}
const start = (slug: string, body: unknown) => call('POST', `/workflows/${slug}/runs`, { body });
const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

beforeAll(async () => {
  h = await openHarness({ agents: { 'label-printer': { latencyMs: 300 }, 'legal-review': { latencyMs: 5 } } });
  const auth = createAuthService({ db: h.db, spine: h.spine });
  keys.ops = (await auth.createKey({ name: 'ops', scopes: { startRuns: true, roles: ['operator'] } }, SYSTEM_ACTOR)).secret;
  keys.anna = (await auth.createKey({ name: 'anna', scopes: { roles: ['approver'] } }, SYSTEM_ACTOR)).secret;
  keys.ben = (await auth.createKey({ name: 'ben', scopes: { roles: ['approver'] } }, SYSTEM_ACTOR)).secret;

  const { service } = h;
  await service.agentStore.upsert({ name: 'flaky', kind: 'builtin', config: { behaviour: 'echo', failFirst: 1 } });
  service.agents.invalidate();
  await service.workflows.create({
    name: 'Four eyes', slug: 'four-eyes',
    document: {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger' }, { id: 'gate', kind: 'approval', config: { requiredApprovals: 2, instructions: 'Two people must approve' } },
        { id: 'done', kind: 'end', config: { output: { approved: 'true' } } }, { id: 'refused', kind: 'end', config: { outcome: 'failure' } },
      ],
      edges: links(['start', 'gate'], ['gate', 'done', 'approved'], ['gate', 'refused', 'rejected']),
    } as never,
  });
  await service.publishWorkflow('four-eyes');
  await service.workflows.create({
    name: 'Flaky', slug: 'flaky',
    document: {
      formatVersion: 1,
      nodes: [{ id: 'start', kind: 'trigger' }, { id: 'work', kind: 'agent', config: { agent: 'flaky', retry: { maxAttempts: 1 } } }, { id: 'done', kind: 'end' }],
      edges: links(['start', 'work'], ['work', 'done']),
    } as never,
  });
  await service.publishWorkflow('flaky');
  await service.workflows.create({ name: 'Draft only', slug: 'draft-only' });

  const services = async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service });
  server = createNodeServer(v1Routes(services));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

describe(`HTTP API v1 runs, approvals and workflows (${testDbKind()})`, () => {
  it('bad input gets a 4xx with {error:{code,message}} and appends nothing', async () => {
    const before = await h.spine.head();
    const cases: [string, string, Init, number, string][] = [
      ['POST', '/workflows/translation-after-sentiment/runs', { raw: '{"input": {' }, 400, 'request.malformed_json'],
      ['POST', '/workflows/translation-after-sentiment/runs', { raw: '' }, 400, 'request.empty_body'],
      ['POST', '/workflows/translation-after-sentiment/runs', { body: { input: {}, surprise: 1 } }, 400, 'run.invalid_input'],
      ['POST', '/workflows/translation-after-sentiment/runs', { body: { input: {}, deadline: 'tomorrow' } }, 400, 'run.invalid_input'],
      ['POST', '/workflows/translation-after-sentiment/runs', { body: { input: {}, idempotencyKey: '' } }, 400, 'run.invalid_input'],
      ['POST', '/workflows/no-such-workflow/runs', { body: { input: {} } }, 404, 'workflow.not_found'],
      ['POST', '/workflows/draft-only/runs', { body: { input: {} } }, 404, 'workflow.not_published'],
      ['POST', '/workflows/translation-after-sentiment/runs', { body: { input: {}, version: 9 } }, 404, 'workflow.version_not_found'],
      ['GET', '/runs/no-such-run', {}, 404, 'run.not_found'],
      ['GET', '/runs/no-such-run/events', {}, 404, 'run.not_found'],
      ['POST', '/runs/no-such-run/cancel', {}, 404, 'run.not_found'],
      ['POST', '/runs/no-such-run/context', { body: { patch: { a: 1 } } }, 404, 'run.not_found'],
      ['POST', '/runs/no-such-run/context', { body: { patch: 'not an object' } }, 400, 'context.invalid_patch'],
      ['POST', '/approvals/no-such-run:gate/decision', { as: 'anna', body: { decision: 'approve' } }, 404, 'approval.not_found'],
      ['POST', '/approvals/x/decision', { as: 'anna', body: { decision: 'maybe' } }, 400, 'approval.invalid_decision'],
      ['POST', '/approvals/x/decision', { as: 'anna', raw: '{' }, 400, 'request.malformed_json'],
      ['GET', '/approvals?status=closed', { as: 'anna' }, 400, 'request.invalid_query'],
      ['GET', '/workflows/no-such-workflow', {}, 404, 'workflow.not_found'],
      ['GET', '/workflows/draft-only', {}, 404, 'workflow.not_published'],
    ];
    for (const [method, path, init, status, code] of cases) {
      const res = await call(method, path, init);
      expect({ method, path, status: res.status, code: res.body?.error?.code, message: typeof res.body?.error?.message }).toEqual({ method, path, status, code, message: 'string' });
    }
    expect(await h.spine.head()).toBe(before);
  });

  it('POST /workflows/{slug}/runs answers 202 {runId}; the same idempotencyKey again gives the same run, once', async () => {
    const first = await start('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' }, idempotencyKey: 'order-77' });
    expect(first).toMatchObject({ status: 202, body: { runId: expect.any(String) } });
    expect(Object.keys(first.body)).toEqual(['runId']);
    const again = await start('translation-after-sentiment', { input: { text: 'something else' }, idempotencyKey: 'order-77' });
    expect(again).toMatchObject({ status: 200, body: { runId: first.body.runId } });
    const other = await start('translation-after-sentiment', { input: { text: 'Thank you' }, idempotencyKey: 'order-78' });
    expect(other.status).toBe(202);
    expect(other.body.runId).not.toBe(first.body.runId);
    await waitForRun(h.spine, first.body.runId);
    await waitForRun(h.spine, other.body.runId);
    const started = await h.spine.read({ after: 0, limit: 1000, filter: { types: ['run.started'] } });
    expect(started.filter((e) => e.runId === first.body.runId)).toHaveLength(1);
    expect(started.find((e) => e.runId === first.body.runId)?.payload).toMatchObject({ input: { text: 'Thank you, great service' }, startedBy: 'key:ops' });
  });

  it('GET /runs/{id} has the documented shape; GET /runs/{id}/events is the run in seq order', async () => {
    const { body } = await start('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' }, intent: 'Translate a compliment' });
    await waitForRun(h.spine, body.runId);
    const run = await call('GET', `/runs/${body.runId}`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      id: body.runId,
      workflowId: expect.any(String),
      version: 1,
      status: 'completed',
      output: { translation: { translated: '[de] Thank you, great service' } },
      envelope: { runId: body.runId, intent: 'Translate a compliment', version: 1, state: {} },
    });
    expect(run.body.nodes).toEqual([
      expect.objectContaining({ id: 'text-received', kind: 'trigger', status: 'done', attempts: 0 }),
      expect.objectContaining({ id: 'sentiment', kind: 'agent', status: 'done', attempts: 1 }),
      expect.objectContaining({ id: 'appropriate', kind: 'router', status: 'done', attempts: 0 }),
      expect.objectContaining({ id: 'translator', kind: 'agent', status: 'done', attempts: 1 }),
      expect.objectContaining({ id: 'translated', kind: 'end', status: 'done', attempts: 0 }),
      expect.objectContaining({ id: 'rejected', kind: 'end', status: 'skipped', attempts: 0 }),
    ]);
    const wf = await call('GET', '/workflows/translation-after-sentiment');
    expect(run.body.workflowId).toBe(wf.body.id);

    const { status, body: page } = await call('GET', `/runs/${body.runId}/events`);
    expect(status).toBe(200);
    const events = page.events as SpineEvent[];
    expect(events.map((e) => e.type)).toEqual(['run.started', 'node.completed', 'task.dispatched', 'task.completed', 'route.chosen', 'task.dispatched', 'task.completed', 'run.completed']);
    expect(events.every((e, i) => e.runId === body.runId && (i === 0 || e.seq > events[i - 1]!.seq))).toBe(true);
  });

  it('cancel: a waiting run is cancelled once; a second cancel is a conflict', async () => {
    const { body } = await start('procurement', { input: { amount: 500, quantity: 1 } });
    await waitForEvent(h.spine, body.runId, (e) => e.type === 'approval.requested');
    expect((await call('GET', `/runs/${body.runId}`)).body).toMatchObject({ status: 'waiting' });
    expect(await call('POST', `/runs/${body.runId}/cancel`)).toEqual({ status: 200, body: { runId: body.runId, status: 'cancelled' } });
    const events = await waitForRun(h.spine, body.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', source: { kind: 'apiKey', name: 'key:ops' } });
    expect((await call('GET', `/runs/${body.runId}`)).body).toMatchObject({ status: 'cancelled', error: { code: 'run.cancelled' } });
    expect(await call('POST', `/runs/${body.runId}/cancel`)).toMatchObject({ status: 409, body: { error: { code: 'run.not_running' } } });
    expect((await call('GET', '/approvals', { as: 'anna' })).body.approvals.map((a: { runId: string }) => a.runId)).not.toContain(body.runId);
  });

  it('POST /runs/{id}/context changes the state mid-run: the stale label is printed again for the new address', async () => {
    // The first label is held at the printer until the address has changed, however slow the machine.
    const release = holdAgentCalls().hold((t) => t.nodeId === 'label-printer' && t.attempt === 1);
    try {
      const { body } = await start('shipping-label', { input: { address: 'Old Street 1' } });
      await waitForEvent(h.spine, body.runId, (e) => e.type === 'task.dispatched' && nodeOf(e) === 'label-printer');
      const stale = await call('POST', `/runs/${body.runId}/context`, { body: { patch: { address: 'New Avenue 2' }, expectedVersion: 1 } });
      expect(stale).toMatchObject({ status: 409, body: { error: { code: 'envelope.version_conflict' } } });
      const patched = await call('POST', `/runs/${body.runId}/context`, { body: { patch: { address: 'New Avenue 2' }, expectedVersion: 2 } });
      expect(patched).toMatchObject({ status: 200, body: { runId: body.runId, envelopeVersion: 3, seq: expect.any(Number) } });
      release();
      await waitForRun(h.spine, body.runId);
      const run = (await call('GET', `/runs/${body.runId}`)).body;
      expect(run).toMatchObject({ status: 'completed', output: { label: 'LABEL[New Avenue 2]' }, envelope: { state: { address: 'New Avenue 2' } } });
      expect(run.nodes.find((n: { id: string }) => n.id === 'label-printer')).toMatchObject({ attempts: 2 });
      expect(await call('POST', `/runs/${body.runId}/context`, { body: { patch: { address: 'Too late' } } })).toMatchObject({ status: 409, body: { error: { code: 'run.not_running' } } });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('approvals: four eyes over HTTP; the same person twice, a decision after the close and an unknown id are refused', async () => {
    const { body } = await start('four-eyes', { input: { amount: 1 } });
    const requested = await waitForEvent(h.spine, body.runId, (e) => e.type === 'approval.requested');
    const approvalId = (requested.payload as { approvalId: string }).approvalId;
    const listed = async () => ((await call('GET', '/approvals', { as: 'anna' })).body.approvals as { approvalId: string; decisions: unknown[] }[]).find((a) => a.approvalId === approvalId);
    expect(await listed()).toMatchObject({ runId: body.runId, nodeId: 'gate', role: 'approver', requiredApprovals: 2, instructions: 'Two people must approve', decisions: [], startedBy: 'key:ops' });

    const path = `/approvals/${encodeURIComponent(approvalId)}/decision`;
    expect(await call('POST', path, { as: 'anna', body: { decision: 'approve', comment: 'fine by me' } })).toMatchObject({ status: 200, body: { approvalId, runId: body.runId, decision: 'approve' } });
    expect((await call('GET', `/runs/${body.runId}`)).body).toMatchObject({ status: 'waiting', waitingOn: [{ kind: 'approval', id: 'gate' }] });
    expect(await listed()).toMatchObject({ decisions: [{ actor: 'key:anna', decision: 'approve', comment: 'fine by me' }] });
    expect(await call('POST', path, { as: 'anna', body: { decision: 'approve' } })).toMatchObject({ status: 409, body: { error: { code: 'approval.already_decided_by_actor' } } });
    expect(await call('POST', path, { as: 'ops', body: { decision: 'approve' } })).toMatchObject({ status: 403 });
    expect(await call('POST', path, { as: 'ben', body: { decision: 'approve' } })).toMatchObject({ status: 200 });

    const events = await waitForRun(h.spine, body.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', payload: { endNodeId: 'done', output: { approved: true } } });
    expect(events.filter((e) => e.type === 'approval.decided').map((e) => e.source.name)).toEqual(['key:anna', 'key:ben']);
    expect(await call('POST', path, { as: 'ben', body: { decision: 'reject' } })).toMatchObject({ status: 409, body: { error: { code: 'approval.already_decided' } } });
    expect(await listed()).toBeUndefined();
  });

  it('approvals: one rejection takes the rejected branch', async () => {
    const { body } = await start('four-eyes', { input: {} });
    const requested = await waitForEvent(h.spine, body.runId, (e) => e.type === 'approval.requested');
    const approvalId = (requested.payload as { approvalId: string }).approvalId;
    expect(await call('POST', `/approvals/${encodeURIComponent(approvalId)}/decision`, { as: 'ben', body: { decision: 'reject', comment: 'no' } })).toMatchObject({ status: 200 });
    const events = await waitForRun(h.spine, body.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'end.failure', nodeId: 'refused' } });
  });

  it('a failed agent node is retried by hand: the run reopens and completes', async () => {
    const { body } = await start('flaky', { input: { n: 1 } });
    const failed = await waitForRun(h.spine, body.runId);
    expect(failed.at(-1)).toMatchObject({ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'work' } });
    expect(await call('POST', `/runs/${body.runId}/nodes/done/retry`)).toMatchObject({ status: 404, body: { error: { code: 'node.not_found' } } });
    expect(await call('POST', `/runs/${body.runId}/nodes/work/retry`)).toEqual({ status: 202, body: { runId: body.runId, nodeId: 'work' } });
    const completed = await waitForEvent(h.spine, body.runId, (e) => e.type === 'run.completed', 10_000);
    expect(completed.payload).toMatchObject({ output: { work: { echo: { n: 1 } } } });
    const run = (await call('GET', `/runs/${body.runId}`)).body;
    expect(run).toMatchObject({ status: 'completed', error: null });
    expect(run.nodes.find((n: { id: string }) => n.id === 'work')).toMatchObject({ status: 'done', attempts: 2 });
    expect(await call('POST', `/runs/${body.runId}/nodes/work/retry`)).toMatchObject({ status: 409, body: { error: { code: 'node.not_failed' } } });
  });

  it('GET /workflows lists published workflows only; GET /workflows/{slug or id} has the published document and its versions', async () => {
    const list = await call('GET', '/workflows');
    expect(list.status).toBe(200);
    const slugs = (list.body.workflows as { slug: string }[]).map((w) => w.slug);
    expect(slugs).toEqual(expect.arrayContaining(['legal-case-analysis', 'procurement', 'booking-vs-cancellation', 'translation-after-sentiment', 'shipping-label', 'four-eyes', 'flaky']));
    expect(slugs).not.toContain('draft-only');
    expect(list.body.workflows.find((w: { slug: string }) => w.slug === 'legal-case-analysis')).toMatchObject({ id: expect.any(String), name: 'Legal case analysis', publishedVersion: 1, triggerType: 'case.opened' });

    const bySlug = await call('GET', '/workflows/legal-case-analysis');
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toMatchObject({ slug: 'legal-case-analysis', version: 1, document: { formatVersion: 1 }, versions: [{ version: 1 }] });
    expect(bySlug.body.document.nodes.map((n: { id: string }) => n.id)).toContain('all-analyses');
    const byId = await call('GET', `/workflows/${bySlug.body.id}`);
    expect(byId.body).toEqual(bySlug.body);
  });
});

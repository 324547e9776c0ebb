/**
 * Evaluations over real HTTP: who may start one (operator or architect; auditor and approver 403), what a
 * bad start gets (400/404, nothing written), the PATCH side of the registry (sideEffects, a breaking
 * output schema 409 with its places, `force`), and a builtin candidate pinned at an older version than the
 * current one (called at that version, never inline at the current one); ship is the architect's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '@/server/auth/roles';
import { openApiHarness, type ApiHarness, type Principal } from '@/server/testing/apiPrincipals';
import { waitForRun } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { evaluationsOf } from '@/server/evaluations';

let h: ApiHarness;
let wf = '';
const people: Partial<Record<Role, Principal>> = {};

async function call(role: Role, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<{ status: number; json: { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown> }> {
  const r = await people[role]!.request(method, path, body);
  return { status: r.status, json: r.body };
}

beforeAll(async () => {
  h = await openApiHarness({ seed: false });
  for (const role of ROLES) people[role] = await h.user(role);
});
afterAll(async () => {
  await h.close();
});

describe(`/api/v1 evaluations (${testDbKind()})`, () => {
  it('registers a workflow with a builtin candidate; the registry PATCH keeps sideEffects and refuses a breaking schema unless forced', async () => {
    expect((await call('architect', 'POST', '/api/v1/agents', { name: 'ev-scorer', kind: 'builtin', config: { behaviour: 'echo' }, outputSchema: { type: 'object', properties: { echo: { type: 'object' } } } })).status).toBe(201);
    const flagged = await call('architect', 'POST', '/api/v1/agents', { name: 'ev-booker', kind: 'builtin', config: { behaviour: 'echo' }, sideEffects: true });
    expect(flagged).toMatchObject({ status: 201, json: { sideEffects: true, version: 1 } });
    // The flag changes in place: no new version.
    expect((await call('architect', 'PATCH', '/api/v1/agents/ev-booker', { sideEffects: false })).json).toMatchObject({ sideEffects: false, version: 1 });
    expect((await call('architect', 'PATCH', '/api/v1/agents/ev-booker', { sideEffects: true })).json).toMatchObject({ sideEffects: true, version: 1 });
    const doc = {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
        { id: 'score', kind: 'agent', position: { x: 200, y: 0 }, config: { agent: 'ev-scorer' } },
        { id: 'book', kind: 'agent', position: { x: 400, y: 0 }, config: { agent: 'ev-booker' } },
        { id: 'done', kind: 'end', position: { x: 600, y: 0 }, config: { output: { scored: 'results.score.echo', booked: 'results.book.echo' } } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'score' },
        { id: 'e2', source: 'score', target: 'book' },
        { id: 'e3', source: 'book', target: 'done' },
      ],
    };
    const created = await call('architect', 'POST', '/api/v1/workflows', { name: 'Scored booking', document: doc });
    expect(created.status).toBe(201);
    wf = String(created.json.id);
    expect((await call('architect', 'POST', `/api/v1/workflows/${wf}/publish`)).status).toBe(200);

    // Dropping the declared `echo` breaks the end step that reads it (the output itself still validates).
    const dropped = { type: 'object', properties: { note: { type: 'string' } } };
    const breaking = await call('architect', 'PATCH', '/api/v1/agents/ev-scorer', { outputSchema: dropped });
    expect(breaking).toMatchObject({ status: 409, json: { error: { code: 'agent.schema_breaking', details: { breaking: [{ workflowId: wf, nodeId: 'done', field: 'echo' }] } } } });
    expect((await call('architect', 'GET', '/api/v1/agents/ev-scorer')).json).toMatchObject({ version: 1 });
    expect((await call('architect', 'PATCH', '/api/v1/agents/ev-scorer', { outputSchema: dropped, force: true })).json).toMatchObject({ version: 2 });
    expect((await call('architect', 'PATCH', '/api/v1/agents/ev-scorer', { force: 'yes' })).status).toBe(400);
  });

  it('operators and architects start; auditors and approvers may not; bad starts are 400/404 and write nothing', async () => {
    for (const n of [1, 2]) await waitForRun(h.spine, (await h.service.startRun(wf, { input: { n } }, 'tom')).runId);
    const before = (await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['evaluation.*'] } })).length;
    const path = `/api/v1/workflows/${wf}/evaluations`;
    for (const role of ['auditor', 'approver'] as const) expect((await call(role, 'POST', path, { agent: 'ev-scorer', version: 1 })).status).toBe(403);
    expect((await call('operator', 'POST', path, { agent: 'ev-scorer', version: 1, lastN: 0 })).json.error?.code).toBe('evaluation.invalid');
    expect((await call('operator', 'POST', path, { agent: 'ev-scorer', version: 1, extra: true })).status).toBe(400);
    expect((await call('operator', 'POST', path, { agent: 'ev-nobody', version: 1 })).status).toBe(404);
    expect((await call('operator', 'POST', path, { agent: 'ev-scorer', version: 9 })).json.error?.code).toBe('evaluation.unknown_version');
    expect((await call('operator', 'POST', '/api/v1/workflows/nope/evaluations', { agent: 'ev-scorer', version: 1 })).status).toBe(404);
    expect((await call('auditor', 'GET', '/api/v1/evaluations/nope')).status).toBe(404);
    expect((await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['evaluation.*'] } })).length).toBe(before);

    // v1 (the older version) as the candidate while v2 is current: dispatched at v1, side effects held.
    const started = await call('operator', 'POST', path, { agent: 'ev-scorer', version: 1, lastN: 5 });
    expect(started).toMatchObject({ status: 202, json: { runs: 2 } });
    const id = String(started.json.evaluationId);
    await evaluationsOf(h.service, h.spine).settled(id);
    const view = await call('auditor', 'GET', `/api/v1/evaluations/${id}`);
    expect(view.json).toMatchObject({ status: 'completed', agent: 'ev-scorer', version: 1, startedBy: 'operator@demo.spine', summary: { runs: 2, compared: 2, sameOutcome: 2 } });
    const fork = (view.json.rows as { fork: string }[])[0]!.fork;
    const events = await h.service.runEvents(fork);
    expect(events.find((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'score')?.payload).toMatchObject({ agentVersion: 1 });
    expect(events.find((e) => e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'book')?.payload).toMatchObject({ sideEffectHeld: true });
    expect(((await call('auditor', 'GET', path)).json.evaluations as { id: string }[]).map((e) => e.id)).toEqual([id]);

    expect((await call('operator', 'POST', `/api/v1/evaluations/${id}/ship`)).status).toBe(403);
    const shipped = await call('architect', 'POST', `/api/v1/evaluations/${id}/ship`);
    // Shipping v1 while v2 is current makes v1's definition current again (v3).
    expect(shipped.json).toMatchObject({ decision: { kind: 'shipped', version: 1 } });
    expect((await call('architect', 'GET', '/api/v1/agents/ev-scorer')).json).toMatchObject({ version: 3, outputSchema: { properties: { echo: { type: 'object' } } } });
    expect((await call('architect', 'POST', `/api/v1/evaluations/${id}/rollback`)).json.error?.code).toBe('evaluation.decided');
  });
});

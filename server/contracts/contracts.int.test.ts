/**
 * Contracts on a real engine over real HTTP (issue 14 §1): an event type's schema gates publishing (400 with
 * the path of the first violation, nothing appended), a new version that removes or retypes a field a
 * published workflow reads is refused with the places that break unless forced, versions are evented with
 * their author, only architects register, and an agent output its registered output schema refuses fails
 * the task with the violation as its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, type ApiHarness, type Principal } from '@/server/testing/apiPrincipals';
import { waitForRun } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocument } from '@/server/workflows/schema';

let api: ApiHarness;
let architect: Principal;
let auditor: Principal;
let operator: Principal;

const ORDER_V1 = { type: 'object', required: ['amount'], properties: { amount: { type: 'number' }, customer: { type: 'object', properties: { name: { type: 'string' } } } } };

/** Triggered by order.placed; its router reads input.amount and input.customer.name; its checker's output is read as results.checker.approved. */
const orders = (agent: string): WorkflowDocument => ({
  formatVersion: 1,
  nodes: [
    { id: 'placed', kind: 'trigger', label: 'Order placed', position: { x: 0, y: 0 }, config: { mode: 'event', eventType: 'order.placed' } },
    { id: 'checker', kind: 'agent', label: 'Check order', position: { x: 200, y: 0 }, config: { agent } },
    { id: 'big', kind: 'router', label: 'Big order?', position: { x: 400, y: 0 }, config: { routes: [{ id: 'large', label: 'Large', condition: 'input.amount > 100 && input.customer.name != "" && results.checker.approved' }] } },
    { id: 'done', kind: 'end', position: { x: 600, y: 0 }, config: { outcome: 'success' } },
    { id: 'small', kind: 'end', position: { x: 600, y: 200 }, config: { outcome: 'success' } },
  ],
  edges: [
    { id: 'e1', source: 'placed', target: 'checker' },
    { id: 'e2', source: 'checker', target: 'big' },
    { id: 'e3', source: 'big', target: 'done', sourceHandle: 'large' },
    { id: 'e4', source: 'big', target: 'small', sourceHandle: 'default' },
  ],
} as unknown as WorkflowDocument);

beforeAll(async () => {
  api = await openApiHarness();
  [architect, auditor, operator] = await Promise.all([api.user('architect'), api.user('auditor'), api.user('operator')]);
  await api.service.agentStore.upsert({ name: 'order-checker', kind: 'builtin', config: { behaviour: 'echo' }, outputSchema: { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } } });
  const w = await api.service.workflows.create({ name: 'Orders', document: orders('order-checker') });
  await api.service.publishWorkflow(w.id);
  await api.service.refreshTriggers();
});
afterAll(() => api.close());

/** How many events of a type the log holds (other appends, a triggered run's, may land meanwhile). */
const count = async (type: string) => (await api.spine.read({ after: 0, limit: 10_000, filter: { types: [type] } })).length;

describe(`contracts (${testDbKind()})`, () => {
  it('a registered schema gates publishing: 400 naming the first violation, nothing appended; a valid event is appended', async () => {
    const put = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: ORDER_V1, description: 'An order' });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({ type: 'order.placed', version: 1, registeredBy: architect.name, created: true });
    const before = await count('order.placed');
    const bad = await operator.post('/api/v1/events', { type: 'order.placed', payload: { amount: 'twelve' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'event.schema_violation', details: { path: '/amount', schemaVersion: 1 } });
    expect(bad.body.error!.message).toContain('payload.amount must be number');
    const missing = await operator.post('/api/v1/events', { type: 'order.placed', payload: { customer: {} } });
    expect(missing.body.error).toMatchObject({ code: 'event.schema_violation' });
    expect(missing.body.error!.message).toContain("required property 'amount'");
    expect(await count('order.placed')).toBe(before);
    const ok = await operator.post('/api/v1/events', { type: 'order.placed', payload: { amount: 12, customer: { name: 'Ann' } } });
    expect(ok.status).toBe(201);
    // Another type without a schema is not gated.
    expect((await operator.post('/api/v1/events', { type: 'order.noted', payload: { anything: true } })).status).toBe(201);
  });

  it('a change that removes or retypes a field a published workflow reads is refused with the places, unless forced; each version is an event', async () => {
    const removed = { ...ORDER_V1, properties: { amount: { type: 'number' } } };
    const r = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: removed });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'schema.breaking' });
    const breaking = (r.body.error as unknown as { details: { breaking: { field: string; where: string; nodeId: string }[] } }).details.breaking;
    expect(breaking).toEqual([expect.objectContaining({ field: 'customer.name', nodeId: 'big', where: expect.stringContaining("step 'Big order?' · route 'Large' condition") })]);
    const retyped = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: { ...ORDER_V1, properties: { ...ORDER_V1.properties, amount: { type: 'string' } } } });
    expect(retyped.status).toBe(409);
    expect(retyped.body.error!.message).toContain("reads 'amount' as number, the new version makes it string");
    // Adding a field breaks nobody; the same schema again makes no version.
    const added = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: { ...ORDER_V1, properties: { ...ORDER_V1.properties, note: { type: 'string' } } } });
    expect(added).toMatchObject({ status: 201, body: { version: 2, breaking: [] } });
    const same = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: { ...ORDER_V1, properties: { ...ORDER_V1.properties, note: { type: 'string' } } } });
    expect(same).toMatchObject({ status: 200, body: { version: 2, created: false } });
    const forced = await architect.request('PUT', '/api/v1/schemas/order.placed', { schema: removed, force: true });
    expect(forced).toMatchObject({ status: 201, body: { version: 3, forced: true } });
    const events = await api.spine.read({ after: 0, limit: 100, filter: { types: ['schema.registered'], key: 'schema:order.placed' } });
    expect(events.map((e) => [(e.payload as { version: number }).version, e.source])).toEqual([1, 2, 3].map((v) => [v, { kind: 'user', name: architect.name }]));
    const got = await auditor.get('/api/v1/schemas/order.placed?version=1');
    expect(got).toMatchObject({ status: 200, body: { version: 1, schema: ORDER_V1 } });
    expect((got.body as unknown as { versions: { version: number }[] }).versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect((await auditor.get('/api/v1/schemas')).body).toMatchObject({ schemas: [expect.objectContaining({ type: 'order.placed', version: 3, versions: 3 })] });
  });

  it('bad input is a clear 4xx and registers nothing: wrong role, not a schema, a reserved type, an unknown type or version', async () => {
    const before = await count('schema.registered');
    expect((await auditor.request('PUT', '/api/v1/schemas/case.opened', { schema: { type: 'object' } })).status).toBe(403);
    expect((await operator.request('PUT', '/api/v1/schemas/case.opened', { schema: { type: 'object' } })).status).toBe(403);
    const notSchema = await architect.request('PUT', '/api/v1/schemas/case.opened', { schema: { type: 'objekt' } });
    expect(notSchema).toMatchObject({ status: 400, body: { error: { code: 'schema.invalid' } } });
    expect((await architect.request('PUT', '/api/v1/schemas/run.started', { schema: { type: 'object' } })).body.error).toMatchObject({ code: 'schema.reserved_type' });
    expect((await architect.request('PUT', '/api/v1/schemas/case.opened', { schema: { type: 'object' }, extra: 1 })).status).toBe(400);
    expect((await architect.request('PUT', '/api/v1/schemas/nodots', { schema: { type: 'object' } })).body.error).toMatchObject({ code: 'schema.invalid_type' });
    expect((await auditor.get('/api/v1/schemas/case.opened')).status).toBe(404);
    expect((await auditor.get('/api/v1/schemas/order.placed?version=99')).status).toBe(404);
    expect(await count('schema.registered')).toBe(before);
  });

  it("an agent output its registered output schema refuses fails the task with the violation as its reason", async () => {
    const r = await api.service.startRun('orders', { input: { amount: 500, customer: { name: 'Bo' } } }, 'tom');
    const events = await waitForRun(api.spine, r.runId);
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed?.payload).toMatchObject({ nodeId: 'checker', errorKind: 'error', error: expect.stringContaining("output breaks the output schema of order-checker v1: output must have required property 'approved'") });
    expect(events.some((e) => e.type === 'task.completed')).toBe(false);
    expect(events.at(-1)!.type).toBe('run.failed');
  });
});

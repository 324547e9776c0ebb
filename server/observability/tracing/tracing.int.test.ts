/**
 * One trace across agents, on the selected database, over real HTTP on loopback: a run started with a
 * caller's `traceparent` records that trace; each task's span id is derived from the recorded trace and
 * sent to the agent (the webhook agent's and the OpenAI-compatible endpoint's `traceparent` header); the
 * exporter sends run, node, task and approval-wait spans with those ids (GenAI attributes on the LLM task)
 * and the metrics to a local OTLP/HTTP receiver; an event published with a `traceparent` starts a run in
 * that trace; a run started without one gets a trace of its own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '@/server/api/actor';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import { createAuthService } from '@/server/auth/service';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { nodeSpanId, parseTraceparent, taskSpanId, toolSpanId, approvalSpanId } from '@/server/engine';
import { startTracing, type Tracing } from '@/server/observability';
import type { Json, SpineEvent } from '@/server/spine';
import { openHarness, publishDocument, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { startFakeOpenAi, type FakeOpenAi } from '@/server/testing/fakeOpenAi';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; status?: { code?: number; message?: string }; attributes?: { key: string; value: OtlpValue }[] };
type Received = { path: string; headers: http.IncomingHttpHeaders; body: any };

/** A tiny OTLP/HTTP receiver: collects the JSON bodies POSTed to /v1/traces and /v1/metrics. */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((r) => server.close(r)) };
}

/** OTLP/JSON ids are hex; an exporter writing base64 (protobuf-style JSON) would be decoded here too. */
const hexId = (id: string | undefined) => (!id ? undefined : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
const attrs = (s: { attributes?: { key: string; value: OtlpValue }[] }) =>
  Object.fromEntries((s.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? (a.value.intValue !== undefined ? Number(a.value.intValue) : (a.value.doubleValue ?? a.value.boolValue))]));

function spansOf(received: Received[]) {
  return received
    .filter((r) => r.path === '/v1/traces')
    .flatMap((r) => (r.body.resourceSpans ?? []).flatMap((rs: any) => (rs.scopeSpans ?? []).flatMap((ss: any) => (ss.spans ?? []).map((s: OtlpSpan) => ({ ...s, traceId: hexId(s.traceId)!, spanId: hexId(s.spanId)!, parentSpanId: hexId(s.parentSpanId), attrs: attrs(s), resource: attrs(rs.resource ?? {}) })))));
}

function metricsOf(received: Received[]) {
  return received
    .filter((r) => r.path === '/v1/metrics')
    .flatMap((r) => (r.body.resourceMetrics ?? []).flatMap((rm: any) => (rm.scopeMetrics ?? []).flatMap((sm: any) => sm.metrics ?? []))) as { name: string; sum?: { dataPoints: any[] }; histogram?: { dataPoints: any[] }; gauge?: { dataPoints: any[] } }[];
}

function chain(agentA: string, agentB: string): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
      { id: 'hook', kind: 'agent', label: 'Webhook', position: { x: 1, y: 0 }, config: { agent: agentA } },
      { id: 'llm', kind: 'agent', label: 'LLM', position: { x: 2, y: 0 }, config: { agent: agentB } },
      { id: 'sign-off', kind: 'approval', label: 'Sign-off', position: { x: 3, y: 0 }, config: { role: 'approver' } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 4, y: 0 }, config: { outcome: 'success', output: { answer: 'results.llm' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'hook' },
      { id: 'e2', source: 'hook', target: 'llm' },
      { id: 'e3', source: 'llm', target: 'sign-off' },
      { id: 'e4', source: 'sign-off', target: 'done', sourceHandle: 'approved' },
    ],
  };
}

function onEvent(eventType: string, agent: string): WorkflowDocumentInput {
  return {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', label: 'Start', position: { x: 0, y: 0 }, config: { mode: 'event', eventType } },
      { id: 'hook', kind: 'agent', label: 'Webhook', position: { x: 1, y: 0 }, config: { agent } },
      { id: 'done', kind: 'end', label: 'Done', position: { x: 2, y: 0 }, config: { outcome: 'success' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'hook' },
      { id: 'e2', source: 'hook', target: 'done' },
    ],
  };
}

const payloadOf = <T = Record<string, Json>>(e: SpineEvent | undefined) => e?.payload as T;

describe(`one trace across agents (${testDbKind()})`, () => {
  let h: Harness;
  let fake: FakeOpenAi;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: Tracing;
  let idle: Tracing;
  let idleReceiver: Awaited<ReturnType<typeof startReceiver>>;
  let api: http.Server;
  let hook: http.Server;
  let origin: string;
  let key: string;
  const hookCalls: http.IncomingHttpHeaders[] = [];
  const allow = process.env.SPINE_OUTBOUND_ALLOW;

  beforeAll(async () => {
    process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
    h = await openHarness({ seed: false });
    fake = await startFakeOpenAi();
    receiver = await startReceiver();
    idleReceiver = await startReceiver();
    hook = http.createServer((req, res) => {
      hookCalls.push(req.headers);
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true })));
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    await h.service.agentStore.upsert({ name: 'hook', kind: 'http', description: 'A webhook agent', config: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/task` } });
    await h.service.agentStore.upsert({ name: 'llm', kind: 'openai', description: 'An LLM agent', config: { baseUrl: fake.baseUrl, model: 'fake-1', tools: ['hook'] } });
    h.service.agents.invalidate();
    const tracingOrNull = await startTracing({ spine: h.spine, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '600000' } });
    tracing = tracingOrNull!;
    // A process that does not lead the engine follows the same log and exports nothing.
    idle = (await startTracing({ spine: h.spine, env: { OTEL_EXPORTER_OTLP_ENDPOINT: idleReceiver.url }, active: () => false }))!;
    const auth = createAuthService({ db: h.db, spine: h.spine });
    key = (await auth.createKey({ name: 'ops', scopes: { startRuns: true, publish: ['order.*'], roles: ['operator'] } }, SYSTEM_ACTOR)).secret;
    const services = async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service, db: h.db });
    api = createNodeServer(v1Routes(services));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await tracing?.stop();
    await idle?.stop();
    await idleReceiver?.close();
    api?.closeAllConnections();
    await new Promise((r) => api?.close(r));
    hook?.closeAllConnections();
    await new Promise((r) => hook?.close(r));
    await h?.close();
    await fake?.close();
    await receiver?.close();
    if (allow === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
    else process.env.SPINE_OUTBOUND_ALLOW = allow;
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${origin}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) });

  it('is off without an OTLP endpoint', async () => {
    expect(await startTracing({ spine: h.spine, env: {} })).toBeNull();
    expect(await startTracing({ spine: h.spine, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' } })).toBeNull();
  });

  it("a run started with a traceparent joins the caller's trace; every agent gets its task's span; the spans and metrics reach the OTLP receiver", async () => {
    const workflowId = await publishDocument(h, 'Traced chain', chain('hook', 'llm') as never);
    // The LLM calls the webhook agent once as a tool, then answers.
    fake.queue({ toolCalls: [{ name: 'hook', arguments: { q: 1 } }] });
    const res = await post(`/workflows/${workflowId}/runs`, { input: { text: 'hello' } }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=abc' });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const requested = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
    await h.service.decideApproval(payloadOf<{ approvalId: string }>(requested).approvalId, { decision: 'approve' }, { name: 'anna', roles: ['approver'] });
    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.completed');

    // The run's trace is the caller's: same trace id, flags and tracestate; the caller's span is its parent.
    const started = payloadOf<{ trace: { traceparent: string; tracestate?: string; parentSpanId?: string } }>(events.find((e) => e.type === 'run.started'));
    const runSpan = parseTraceparent(started.trace.traceparent)!;
    expect(runSpan.traceId).toBe(CALLER_TRACE);
    expect(runSpan.spanId).not.toBe(CALLER_SPAN);
    expect(started.trace).toMatchObject({ tracestate: 'vendor=abc', parentSpanId: CALLER_SPAN });

    // Each dispatch carries its task's span, derived from the recorded trace, node and attempt; the agents received it.
    const dispatched = events.filter((e) => e.type === 'task.dispatched').map((e) => payloadOf<{ nodeId: string; attempt: number; trace: { traceparent: string; tracestate: string } }>(e));
    expect(dispatched.map((d) => d.nodeId)).toEqual(['hook', 'llm']);
    for (const d of dispatched) expect(d.trace).toEqual({ traceparent: `00-${CALLER_TRACE}-${taskSpanId(CALLER_TRACE, d.nodeId, d.attempt)}-01`, tracestate: 'vendor=abc' });
    expect(hookCalls.at(-2)).toMatchObject({ traceparent: dispatched[0]!.trace.traceparent, tracestate: 'vendor=abc' });
    // The tool call works in its own span under the LLM task's.
    const toolSpan = toolSpanId(CALLER_TRACE, taskSpanId(CALLER_TRACE, 'llm', 1), 1);
    expect(hookCalls.at(-1)).toMatchObject({ traceparent: `00-${CALLER_TRACE}-${toolSpan}-01`, tracestate: 'vendor=abc' });
    const llmCall = fake.requests.at(-1)!;
    expect(llmCall.headers).toMatchObject({ traceparent: dispatched[1]!.trace.traceparent, tracestate: 'vendor=abc' });

    await tracing.flush();
    const spans = spansOf(receiver.received).filter((s) => s.traceId === CALLER_TRACE);
    const byName = (name: string) => spans.find((s) => s.name === name);
    const run = byName('run traced-chain')!;
    expect(run).toBeDefined();
    expect(run).toMatchObject({ spanId: runSpan.spanId, parentSpanId: CALLER_SPAN, status: { code: 1 } });
    expect(run.attrs).toMatchObject({ 'spine.run.id': runId, 'spine.run.outcome': 'completed', 'spine.workflow.slug': 'traced-chain' });
    expect(run.resource['service.name']).toBe('spine');
    for (const nodeId of ['hook', 'llm']) {
      const node = byName(`node ${nodeId}`)!;
      const task = byName(`task ${nodeId}`)!;
      expect(node).toMatchObject({ spanId: nodeSpanId(CALLER_TRACE, nodeId), parentSpanId: run.spanId });
      // The span the agent was told is the span exported: the agent's own spans nest under it.
      expect(task).toMatchObject({ spanId: taskSpanId(CALLER_TRACE, nodeId, 1), parentSpanId: node.spanId, kind: 3, status: { code: 1 } });
      expect(BigInt(task.startTimeUnixNano) >= BigInt(run.startTimeUnixNano) && BigInt(task.endTimeUnixNano) <= BigInt(run.endTimeUnixNano)).toBe(true);
    }
    const completed = payloadOf<{ inputTokens: number; outputTokens: number; model: string }>(events.find((e) => e.type === 'task.completed' && payloadOf<{ nodeId: string }>(e).nodeId === 'llm'));
    expect(completed.inputTokens).toBeGreaterThan(0);
    expect(byName('task llm')!.attrs).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': completed.model, 'gen_ai.usage.input_tokens': completed.inputTokens, 'gen_ai.usage.output_tokens': completed.outputTokens });
    expect(byName('task hook')!.attrs['gen_ai.request.model']).toBeUndefined();
    expect(byName('execute_tool hook')).toMatchObject({ spanId: toolSpan, parentSpanId: taskSpanId(CALLER_TRACE, 'llm', 1), status: { code: 1 } });
    expect(byName('execute_tool hook')!.attrs).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'hook', 'spine.tool.n': 1 });
    const approvalId = payloadOf<{ approvalId: string }>(requested).approvalId;
    expect(byName('approval sign-off')).toMatchObject({ spanId: approvalSpanId(CALLER_TRACE, approvalId), parentSpanId: run.spanId });
    expect(byName('approval sign-off')!.attrs).toMatchObject({ 'spine.approval.outcome': 'approved', 'spine.approval.decided_by': 'anna' });

    const metrics = metricsOf(receiver.received);
    const eventsCounted = metrics.filter((m) => m.name === 'spine.events').flatMap((m) => m.sum!.dataPoints).reduce((n, p) => n + Number(p.asInt ?? p.asDouble ?? 0), 0);
    expect(eventsCounted).toBeGreaterThanOrEqual(events.length);
    const durations = metrics.filter((m) => m.name === 'spine.task.duration').flatMap((m) => m.histogram!.dataPoints);
    expect(durations.reduce((n, p) => n + Number(p.count), 0)).toBeGreaterThanOrEqual(2);
    expect(new Set(durations.map((p) => attrs(p)['spine.agent.name']))).toEqual(new Set(['hook', 'llm']));
    const depth = metrics.filter((m) => m.name === 'spine.queue.depth').flatMap((m) => m.gauge!.dataPoints);
    expect(depth.map((p) => attrs(p)['spine.queue']).sort()).toEqual(['runs', 'tasks']);

    await idle.flush();
    expect(spansOf(idleReceiver.received)).toEqual([]);
    expect(metricsOf(idleReceiver.received).filter((m) => m.name === 'spine.events' || m.name === 'spine.queue.depth')).toEqual([]);
  });

  it('an event published with a traceparent starts its runs in that trace; a run started without one gets its own', async () => {
    await publishDocument(h, 'Traced trigger', onEvent('order.placed', 'hook') as never);
    const other = 'aaaabbbbccccddddeeeeffff00001111';
    const res = await post('/events', { type: 'order.placed', payload: { order: 7 } }, { traceparent: `00-${other}-${CALLER_SPAN}-01` });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const startedBy = async () => {
      for (let i = 0; i < 200; i++) {
        const e = (await h.spine.read({ after: 0, limit: 1000, filter: { types: ['run.started'] } })).find((x) => x.causationId === id);
        if (e) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the event started no run');
    };
    const started = await startedBy();
    const events = await waitForRun(h.spine, started.runId!);
    const trace = payloadOf<{ trace: { traceparent: string; parentSpanId?: string } }>(started).trace;
    expect(parseTraceparent(trace.traceparent)!.traceId).toBe(other);
    expect(trace.parentSpanId).toBe(CALLER_SPAN);
    expect(payloadOf<{ trace: { traceparent: string } }>(events.find((e) => e.type === 'task.dispatched')).trace.traceparent).toBe(`00-${other}-${taskSpanId(other, 'hook', 1)}-01`);

    // A CloudEvent carries its trace in the Distributed Tracing extension.
    const fourth = 'dddd0000dddd0000dddd0000dddd0000';
    const ce = await fetch(`${origin}/api/v1/events`, {
      method: 'POST', headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ specversion: '1.0', id: 'ce-1', source: 'https://shop.example', type: 'order.placed', data: { order: 9 }, traceparent: `00-${fourth}-${CALLER_SPAN}-01` }),
    });
    expect(ce.status).toBe(201);
    const ceId = ((await ce.json()) as { id: string }).id;
    await expect.poll(async () => {
      const e = (await h.spine.read({ after: 0, limit: 1000, filter: { types: ['run.started'] } })).find((x) => x.causationId === ceId);
      return e && parseTraceparent(payloadOf<{ trace: { traceparent: string } }>(e).trace.traceparent)!.traceId;
    }, { timeout: 10_000 }).toBe(fourth);

    const plain = await post(`/workflows/${(await h.service.workflows.get('traced-chain')).id}/runs`, { input: {} }, { traceparent: 'not-a-traceparent' });
    const { runId } = (await plain.json()) as { runId: string };
    const own = payloadOf<{ trace: { traceparent: string; parentSpanId?: string } }>(await waitForEvent(h.spine, runId, (e) => e.type === 'run.started')).trace;
    const parsed = parseTraceparent(own.traceparent)!;
    expect(parsed.traceId).not.toBe(CALLER_TRACE);
    expect(parsed.sampled).toBe(true);
    expect(own.parentSpanId).toBeUndefined();
    await h.service.cancelRun(runId, { kind: 'apiKey', name: 'ops' });
  });

  it("the designer's tRPC start joins the trace of the request's traceparent", async () => {
    const third = 'cccc0000cccc0000cccc0000cccc0000';
    const trace = { traceparent: `00-${third}-${CALLER_SPAN}-01` };
    const caller = createCaller(createContextInner({ actor: LOCAL_OPERATOR, services: { spine: h.spine, engine: h.service, db: h.db }, trace }));
    const { runId } = await caller.workflows.startRun({ id: (await h.service.workflows.get('traced-trigger')).id, input: { order: 8 } });
    const started = payloadOf<{ trace: { traceparent: string; parentSpanId?: string } }>(await waitForEvent(h.spine, runId, (e) => e.type === 'run.started')).trace;
    expect(parseTraceparent(started.traceparent)!.traceId).toBe(third);
    expect(started.parentSpanId).toBe(CALLER_SPAN);
    await waitForRun(h.spine, runId);
  });
});

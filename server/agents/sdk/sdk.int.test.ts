/**
 * sdk agents end to end, with real processes: Spine's /api/v1 on 127.0.0.1 (real auth, the engine on a real
 * database), the legal case's five specialists registered as kind `sdk`, and agent CHILD PROCESSES running
 * the `@spine/sdk` package (server/testing/sdkAgentProcess.ts).
 *
 * - kill -9 mid-task: a process holds a lease on one specialist's task and is killed; its lease expires, the
 *   attempt fails retryably, the retry is claimed by a second process and the run completes: one
 *   `task.completed` per node, and the killed holder's late result (its real token) is refused with 409.
 * - cancel: cancelling the run fires `ctx.signal` in the agent process, and the lease row is cancelled.
 * - scopes: an agent key cannot claim another agent's task (403) nor publish an undeclared type (403).
 */
import type { ChildProcess } from 'node:child_process';
import { createAuthService } from '@/server/auth/service';
import { createDb } from '@/server/db/client';
import { startEngine } from '@/server/engine';
import { openSpine } from '@/server/spine';
import { observability } from '@/server/observability';
import { serveV1 } from '@/server/testing/v1Routes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { openApiHarness, type ApiHarness } from '@/server/testing/apiPrincipals';
import { waitForEvent, waitForRun } from '@/server/testing/engineHarness';
import { onLines, spawnTs, waitForLine } from '@/server/testing/processes';
import { testDbKind } from '@/server/testing/testDb';
import { createSpine, type SpineEvent as SdkEvent } from '../../../packages/sdk/src/index';
import { agentKeys } from './agentKeys';

const SPECIALISTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
const LEASE_MS = 800;

let api: ApiHarness;
let children: ChildProcess[] = [];

/** Registers the specialists as sdk agents and makes one agent key each. */
async function sdkSpecialists(h: ApiHarness, publish: string[] = []): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  const admin = { kind: 'system' as const, id: 'system', name: 'system', roles: ['admin' as const] };
  for (const name of SPECIALISTS) {
    await h.service.agentStore.upsert({ name, kind: 'sdk', description: `${name} (sdk)`, config: { leaseMs: LEASE_MS } });
    keys[name] = (await agentKeys({ auth: h.auth, agents: h.service.agentStore }).create(name, { publish }, admin)).secret;
  }
  h.service.agents.invalidate();
  return keys;
}

function agentProcess(keys: Record<string, string>, env: Record<string, string> = {}, origin = api.origin) {
  const child = spawnTs('server/testing/sdkAgentProcess.ts', [], { SPINE_URL: origin, SPINE_AGENT_KEYS: JSON.stringify(keys), ...env });
  children.push(child);
  const lines: string[] = [];
  onLines(child, (l) => lines.push(l));
  return { child, lines, ready: waitForLine(child, /^ready$/m, 60_000) };
}

const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  await api.close();
});

describe(`sdk agents in child processes (${testDbKind()})`, () => {
  it('kill -9 mid-task: the lease expires, another process completes the task exactly once, the late result is refused', async () => {
    const keys = await sdkSpecialists(api);
    // Through fetch, so the process reports the lease token it got; the second process uses node:http.
    const a = agentProcess({ precedent: keys.precedent! }, { SDK_MODE: 'hang', SDK_TRANSPORT: 'fetch' });
    await a.ready;
    const { runId } = await api.service.startRun('legal-case-analysis', { input: { title: 'Acme v. Widget', facts: 'contract dispute' } }, 'ann');
    const started = await waitForLine(a.child, /started precedent (\S+)/, 20_000);
    const claimed = /claimed (\d+) (\S+)/.exec(a.lines.join('\n'))!;
    const [, taskId, token] = claimed;
    a.child.kill('SIGKILL');

    const b = agentProcess(keys);
    await b.ready;
    const events = await waitForRun(api.spine, runId, 30_000);
    expect(events.at(-1)!.type).toBe('run.completed');

    // The killed holder's attempt failed when its lease expired; the retry ran elsewhere.
    const failed = events.filter((e) => e.type === 'task.failed' && nodeOf(e) === 'precedent');
    expect(failed).toHaveLength(1);
    expect((failed[0]!.payload as { error: string; retryable: boolean }).retryable).toBe(true);
    expect((failed[0]!.payload as { error: string }).error).toMatch(/lease .* expired/);
    for (const node of [...SPECIALISTS, 'summarizer']) expect(events.filter((e) => e.type === 'task.completed' && nodeOf(e) === node), node).toHaveLength(1);
    const completedPrecedent = events.find((e) => e.type === 'task.completed' && nodeOf(e) === 'precedent')!;
    expect((completedPrecedent.payload as { attempt: number }).attempt).toBe(2);
    expect(b.lines).toContain(`done precedent ${started[1]!.replace(/:1$/, ':2')}`);
    // ctx.traceparent: the retry's own span in the run's trace, as its task.dispatched recorded it.
    const retried = events.find((e) => e.type === 'task.dispatched' && nodeOf(e) === 'precedent' && (e.payload as { attempt: number }).attempt === 2)!;
    const traceparent = (retried.payload as { trace?: { traceparent: string } }).trace?.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(b.lines).toContain(`trace precedent ${started[1]!.replace(/:1$/, ':2')} ${traceparent}`);

    // The dead process' late result, with its real lease token, changes nothing.
    const precedent = await keyPrincipal(keys.precedent!);
    const late = await precedent.post(`/api/v1/agent/tasks/${taskId}/result`, { token, output: { precedents: 99 } });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('agent_task.lease_lost');
    const row = await api.service.sdkTasks.store.bySeq(Number(taskId));
    expect(row?.status).toBe('expired');
  });

  it('an idle sdk agent is offline until its process opens its task stream, then online (its heartbeat)', async () => {
    const keys = await sdkSpecialists(api);
    const health = async () =>
      (await observability({ spine: api.spine, engine: api.service }).agentHealth({ agents: [{ name: 'sentiment', kind: 'sdk' }], lastHeartbeat: (a) => api.service.sdkTasks.lastHeartbeat(a) }))[0]!;
    expect(await health()).toMatchObject({ agent: 'sentiment', status: 'offline' });
    const a = agentProcess({ sentiment: keys.sentiment! });
    await a.ready;
    await expect.poll(async () => (await health()).status, { timeout: 10_000 }).toBe('online');
    expect((await health()).lastSeenMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a cancelled run aborts its tasks: ctx.signal fires in the agent process', async () => {
    const keys = await sdkSpecialists(api);
    const c = agentProcess({ 'case-law': keys['case-law']! }, { SDK_MODE: 'hang' });
    await c.ready;
    const { runId } = await api.service.startRun('legal-case-analysis', { input: { title: 'To be withdrawn' } }, 'ann');
    const started = await waitForLine(c.child, /started case-law (\S+)/, 20_000);
    await api.service.cancelRun(runId, 'ann');
    const aborted = await waitForLine(c.child, /aborted case-law (\S+) (.*)/, 20_000);
    expect(aborted[1]).toBe(started[1]);
    expect(aborted[2]).toMatch(/cancelled: run\.cancelled/);
    // The engine's side hears of the end from its own commit, not from the agent: the row follows.
    await expect.poll(async () => (await api.service.sdkTasks.store.get(started[1]!))?.status).toBe('cancelled');
  });

  it('an agent key claims only its own agent’s tasks (403) and publishes only the types it declares (403)', async () => {
    const keys = await sdkSpecialists(api, ['case.note']);
    const { runId } = await api.service.startRun('legal-case-analysis', { input: { title: 'Scopes' } }, 'ann');
    const dispatched = await waitForEvent(api.spine, runId, (e) => e.type === 'task.dispatched' && nodeOf(e) === 'case-law');
    const precedent = await keyPrincipal(keys.precedent!);
    // The row is written just after the dispatch commits: a claim waits a moment for it, then answers.
    const stolen = await precedent.post(`/api/v1/agent/tasks/${dispatched.seq}/claim`, {});
    expect(stolen.status).toBe(403);
    expect(stolen.body.error?.code).toBe('agent_task.forbidden');

    const caseLaw = await keyPrincipal(keys['case-law']!);
    const mine = await caseLaw.post<{ token: string; task: { nodeId: string; envelope: { runId: string } } }>(`/api/v1/agent/tasks/${dispatched.seq}/claim`, { holder: 'test' });
    expect(mine.status).toBe(200);
    expect(mine.body.task.nodeId).toBe('case-law');
    expect(mine.body.task.envelope.runId).toBe(runId);
    const again = await caseLaw.post(`/api/v1/agent/tasks/${dispatched.seq}/claim`, {});
    expect(again.status).toBe(409);

    expect((await caseLaw.post('/api/v1/events', { type: 'case.note', payload: { text: 'seen' } })).status).toBe(201);
    const undeclared = await caseLaw.post('/api/v1/events', { type: 'case.closed', payload: {} });
    expect(undeclared.status).toBe(403);
    // Made over /api/v1 by an architect (shown once), refused to an operator.
    const architect = await api.user('architect');
    const made = await architect.post<{ secret: string; scopes: { agent: string } }>('/api/v1/agents/case-law/keys', { label: 'second', publish: ['case.note'] });
    expect(made.status).toBe(201);
    expect(made.body.scopes.agent).toBe('case-law');
    expect((await (await keyPrincipal(made.body.secret)).post(`/api/v1/agent/tasks/${dispatched.seq}/claim`, {})).status).toBe(409);
    expect((await (await api.user('operator')).post('/api/v1/agents/case-law/keys', {})).status).toBe(403);
    // Not an agent key: the agent API refuses it.
    const operatorKey = await api.key('ops', { startRuns: true, roles: ['operator'] });
    expect((await operatorKey.post(`/api/v1/agent/tasks/${dispatched.seq}/claim`, {})).status).toBe(403);
  });

  it('a stream with capacity leases each task to its process as it pushes it; past capacity, or for a node it does not handle, it offers the task bare', async () => {
    const keys = await sdkSpecialists(api);
    const stream = await taskStream(keys.precedent!, '?capacity=1&holder=solo');
    const other = await taskStream(keys['case-law']!, '?capacity=5&handles=something-else-*');
    try {
      const first = await api.service.startRun('legal-case-analysis', { input: { title: 'One' } }, 'ann');
      const pushed = await stream.next();
      expect(pushed.claim?.token, 'leased to the stream: no claim request needed').toBeTruthy();
      expect(pushed.claim!.task).toMatchObject({ nodeId: 'precedent', runId: first.runId, envelope: { runId: first.runId } });
      expect(await api.service.sdkTasks.store.get(pushed.key)).toMatchObject({ status: 'leased', holder: expect.stringMatching(/^key:.+\/solo$/) });
      // The node is not one the case-law stream handles: a bare offer, the row stays offered.
      const bare = await other.next();
      expect(bare.claim).toBeUndefined();
      // A bare offer does not wait for the row (written just after the dispatch commits).
      await expect.poll(async () => (await api.service.sdkTasks.store.get(bare.key))?.status).toBe('offered');

      // Its one slot is taken: the next task comes bare, to claim when there is room.
      await api.service.startRun('legal-case-analysis', { input: { title: 'Two' } }, 'ann');
      const second = await stream.next();
      expect(second.claim).toBeUndefined();
      await expect.poll(async () => (await api.service.sdkTasks.store.get(second.key))?.status).toBe('offered');

      // The first result frees the slot once its completion is on the log: the third task comes leased again.
      const precedent = await keyPrincipal(keys.precedent!);
      expect((await precedent.post(`/api/v1/agent/tasks/${pushed.id}/result`, { token: pushed.claim!.token, output: { precedents: [] } })).status).toBe(200);
      await waitForEvent(api.spine, first.runId, (e) => e.type === 'task.completed' && nodeOf(e) === 'precedent');
      await api.service.startRun('legal-case-analysis', { input: { title: 'Three' } }, 'ann');
      const third = await stream.next();
      expect(third.claim?.token).toBeTruthy();
    } finally {
      stream.close();
      other.close();
    }
  });
});

describe.runIf(testDbKind() === 'postgres')('two Spine processes on one PostgreSQL', () => {
  it('agents served by the process that does not run the engine: the leader learns of their results from the lease table', async () => {
    const keys = await sdkSpecialists(api);
    // A second Spine on the same database: its engine waits for leadership, its agent API serves the same board.
    const spine = await openSpine({ databaseUrl: api.url });
    const db = createDb(api.url);
    const follower = await startEngine({ spine, db, databaseUrl: api.url });
    const auth = createAuthService({ db, spine });
    const server = await serveV1(async () => ({ spine, maxPayloadBytes: 65536, auth, engine: follower }));
    try {
      const b = agentProcess(keys, {}, server.origin);
      await b.ready;
      const { runId } = await api.service.startRun('legal-case-analysis', { input: { title: 'Across processes' } }, 'ann');
      const events = await waitForRun(api.spine, runId, 30_000);
      expect(events.at(-1)!.type).toBe('run.completed');
      for (const node of SPECIALISTS) expect(events.filter((e) => e.type === 'task.completed' && nodeOf(e) === node), node).toHaveLength(1);
      expect(b.lines.filter((l) => l.startsWith('done '))).toHaveLength(SPECIALISTS.length);
    } finally {
      server.close();
      await follower.stop();
      await db.$disconnect();
      await spine.close();
    }
  });
});

describe(`free subscribers with a durable server-side offset (${testDbKind()})`, () => {
  it('spine.subscribe resumes after the last event it handled, and sees only what its key may read', async () => {
    const { secret } = await api.auth.createKey({ name: 'notes-reader', scopes: { publish: ['case.*', 'billing.*'], subscribe: ['case.*'], startRuns: false, roles: [] } }, 'test');
    const spine = createSpine({ url: api.origin, apiKey: secret });
    const seen: SdkEvent[] = [];
    let arrived!: () => void;
    let want = 2;
    const enough = () => new Promise<void>((r) => (arrived = r));
    let wait = enough();
    const handler = (e: SdkEvent) => {
      seen.push(e);
      if (seen.length >= want) arrived();
    };
    let sub = spine.subscribe({ types: ['case.*'], consumer: 'notes' }, handler);
    await sub.ready;
    await spine.publish('case.note', { n: 1 });
    await spine.publish('billing.charged', { n: 0 });
    await spine.publish('case.note', { n: 2 });
    await wait;
    await sub.close();
    expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2]);

    await spine.publish('case.note', { n: 3 });
    want = 3;
    wait = enough();
    sub = spine.subscribe({ types: ['case.*'], consumer: 'notes' }, handler);
    await wait;
    await sub.close();
    expect(seen.map((e) => (e.payload as { n: number }).n), 'after a restart: only what came after the committed offset').toEqual([1, 2, 3]);

    // Beyond the key's read scope: refused when the stream opens.
    const beyond = spine.subscribe({ types: ['billing.*'], consumer: 'bills' }, handler);
    await expect(beyond.ready).rejects.toMatchObject({ status: 403 });
    await beyond.close();
  });
});

/** A principal for an agent key's secret. */
type Pushed = { id: number; key: string; nodeId: string; claim?: { token: string; task: Record<string, unknown> } };

/** An agent task stream read as the SDK reads it: `next()` is the next `event: task` message. */
async function taskStream(secret: string, query: string) {
  const ac = new AbortController();
  const res = await fetch(`${api.origin}/api/v1/agent/tasks/stream${query}`, { headers: { authorization: `Bearer ${secret}`, accept: 'text/event-stream' }, signal: ac.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next(): Promise<Pushed> {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: task$/m.test(block) && data) return JSON.parse(data[1]!) as Pushed;
          continue;
        }
        const { done, value } = await reader.read();
        if (done) throw new Error('the task stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    },
    close: () => ac.abort(),
  };
}

async function keyPrincipal(secret: string) {
  const request = async <T = Record<string, unknown>>(path: string, body: unknown) => {
    const res = await fetch(api.origin + path, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T & { error?: { code: string; message: string } } };
  };
  return { post: request };
}

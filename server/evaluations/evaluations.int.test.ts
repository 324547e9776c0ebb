/**
 * Evaluating a changed summarizer on 50 legal-case runs (issue 14 §4), on a real engine and database, with
 * HTTP agents on 127.0.0.1 that count their calls: the evaluation finishes and reports which runs changed
 * and which broke the contract; the intake agent before the summarizer is never called again; the filing
 * agent (side effects) is never called by a fork. Also: a fork with no recorded output for a side-effect
 * node fails it `side_effect_blocked`; bad starts are refused and write nothing; ship and roll back; and
 * an output schema change that breaks a published reader is 409 with its places unless forced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { createAgentRegistration } from '@/server/agents';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { serveHttpAgents, type HttpAgents } from '@/server/testing/httpAgents';
import { testDbKind } from '@/server/testing/testDb';
import type { WorkflowDocumentInput } from '@/server/workflows/schema';
import { createEvaluations, type Evaluations } from './evaluations';
import type { EvaluationRow } from './results';

let agents: HttpAgents;
let url = '';
let h: Harness;
let ev: Evaluations;
let wf = '';
const ADA = { kind: 'user' as const, name: 'ada' };
const OUTPUT_SCHEMA = { type: 'object', properties: { summary: { type: 'string' }, risk: { type: 'string' } }, required: ['summary', 'risk'] };

/**
 * intake → { caseId: 'C<n>' }; summarizer v1 → { summary: 'case <n>', risk }; v2 revises every 5th summary
 * and answers risk as a number for every 7th (a contract break), and 'high' for case 60; filer (side effects) → { receipt }.
 * A negative n makes v1 fail.
 */
function answer(path: string, input: { n?: number; caseId?: string }): { status: number; body: unknown } {
  const n = Number(input.n ?? String(input.caseId ?? 'C0').slice(1));
  const risk = n % 2 ? 'high' : 'low';
  switch (path) {
    case '/intake': return { status: 200, body: { caseId: `C${n}` } };
    case '/summarizer-v1': return n < 0 ? { status: 500, body: { error: 'down' } } : { status: 200, body: { summary: `case ${n}`, risk } };
    case '/summarizer-v2': return { status: 200, body: { summary: n % 5 === 0 ? `case ${n} (revised)` : `case ${n}`, risk: n % 7 === 0 && n > 0 ? 7 : n === 60 ? 'high' : risk } };
    case '/filer': return { status: 200, body: { receipt: `R${n}` } };
    default: return { status: 404, body: {} };
  }
}

beforeAll(async () => {
  agents = await serveHttpAgents((path, task) => answer(path, task.input));
  url = agents.url;
  h = await openHarness({ seed: false });
  ev = createEvaluations({ engine: h.service, spine: h.spine, forkTimeoutMs: 30_000 });
  const store = h.service.agentStore;
  await store.upsert({ name: 'intake', kind: 'http', config: { url: `${url}/intake` } });
  await store.upsert({ name: 'summarizer', kind: 'http', config: { url: `${url}/summarizer-v1` }, outputSchema: OUTPUT_SCHEMA });
  await store.upsert({ name: 'filer', kind: 'http', config: { url: `${url}/filer` }, sideEffects: true });
  const at = (x: number) => ({ x: x * 200, y: 0 });
  const once = { maxAttempts: 1 };
  const doc: WorkflowDocumentInput = {
    formatVersion: 1,
    nodes: [
      { id: 'start', kind: 'trigger', position: at(0), config: { mode: 'manual' } },
      { id: 'intake', kind: 'agent', position: at(1), config: { agent: 'intake', input: { n: 'input.n' }, retry: once } },
      { id: 'summarize', kind: 'agent', position: at(2), config: { agent: 'summarizer', input: { caseId: 'results.intake.caseId' }, retry: once } },
      { id: 'file', kind: 'agent', position: at(3), config: { agent: 'filer', input: { caseId: 'results.intake.caseId' }, retry: once } },
      { id: 'done', kind: 'end', position: at(4), config: { output: { summary: 'results.summarize.summary', risk: 'results.summarize.risk', receipt: 'results.file.receipt' } } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'intake' },
      { id: 'e2', source: 'intake', target: 'summarize' },
      { id: 'e3', source: 'summarize', target: 'file' },
      { id: 'e4', source: 'file', target: 'done' },
    ],
  };
  wf = (await h.service.workflows.create({ name: 'Legal case', document: doc as never })).id;
  await h.service.publishWorkflow(wf);
});
afterAll(async () => {
  ev?.stop();
  await h?.close();
  await agents?.close();
});

const count = (path: string) => agents.count(path);
const evaluationEvents = async () => (await h.spine.read({ after: 0, limit: 10_000, filter: { types: ['evaluation.*'] } })).length;

describe(`evaluations (${testDbKind()})`, () => {
  it('an evaluation of 50 legal-case runs with a changed summarizer finishes and reports the differences, calling no unchanged agent again and no side-effect agent', async () => {
    for (let i = 1; i <= 50; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => h.service.startRun(wf, { input: { n: i + k } }, 'tom').then((r) => waitForRun(h.spine, r.runId))));
    expect([count('/intake'), count('/summarizer-v1'), count('/filer')]).toEqual([50, 50, 50]);
    const v2 = await createAgentRegistration({ store: h.service.agentStore, registry: h.service.agents, spine: h.spine, outputReaders: h.service.agentOutputReaders }).change('summarizer', { config: { url: `${url}/summarizer-v2` } }, ADA);
    expect(v2.version).toBe(2);

    const { evaluationId, runs } = await ev.start(wf, { agent: 'summarizer', version: 2, lastN: 50, concurrency: 8 }, ADA);
    expect(runs).toBe(50);
    await ev.settled(evaluationId);
    const v = await ev.get(evaluationId);
    expect(v).toMatchObject({ status: 'completed', agent: 'summarizer', version: 2, baseVersion: 1, startedBy: 'ada' });
    // n = 1..50: every 5th summary is revised (10 runs), every 7th breaks the contract (7 runs; 35 is both).
    expect(v.summary).toMatchObject({ runs: 50, compared: 50, skipped: 0, brokeContract: 7, failed: 7, sameOutcome: 50 - 10 - 7 + 1, differentOutcome: 16 });
    const rows = v.rows.filter((r): r is EvaluationRow => r.state !== 'pending');
    const inputOf = new Map<string, number>();
    for (const r of rows) inputOf.set(r.origin, ((await h.service.runEvents(r.origin))[0]!.payload as { input: { n: number } }).input.n);
    const byN = (n: number) => rows.find((r) => inputOf.get(r.origin) === n)!;
    expect(byN(10)).toMatchObject({ forkStatus: 'completed', sameOutcome: false, changed: ['summarize'], contractViolations: [] });
    expect(byN(14)).toMatchObject({ forkStatus: 'failed', sameOutcome: false, contractViolations: [{ nodeId: 'summarize', error: expect.stringContaining('output breaks the output schema of summarizer v2') }] });
    expect(byN(3)).toMatchObject({ forkStatus: 'completed', sameOutcome: true, changed: [] });

    // The forks called the candidate 50 times and nothing else: intake was reused, the filer held.
    expect([count('/intake'), count('/summarizer-v1'), count('/summarizer-v2'), count('/filer')]).toEqual([50, 50, 50, 50]);
    const fork = (await h.service.runEvents(byN(3).fork!)) as SpineEvent[];
    expect(fork.find((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'summarize')?.payload).toMatchObject({ agentVersion: 2 });
    expect(fork.find((e) => e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'file')?.payload).toMatchObject({ reused: true, sideEffectHeld: true, output: { receipt: 'R3' } });
    expect((await h.service.replayRun(byN(3).fork!)).mismatch).toBeUndefined();
    // Listed for the workflow; forks are never picked as origins of a later evaluation.
    expect((await ev.list(wf)).map((e) => e.id)).toContain(evaluationId);

    // Roll back: v1's config is current again, as a new version made by the person.
    const back = await ev.rollBack(evaluationId, ADA);
    expect(back.decision).toMatchObject({ kind: 'rolled_back', by: 'ada', version: 1 });
    const current = await h.service.agentStore.get('summarizer');
    expect(current).toMatchObject({ version: 3, config: { url: `${url}/summarizer-v1` } });
    await expect(ev.ship(evaluationId, ADA)).rejects.toMatchObject({ code: 'evaluation.decided', httpStatus: 409 });
  });

  it('a fork never calls a side-effect agent: without a recorded output its task fails side_effect_blocked; allowSideEffects calls it', async () => {
    const origin = await h.service.startRun(wf, { input: { n: -4 } }, 'tom');
    const events = await waitForRun(h.spine, origin.runId);
    expect(events.at(-1)!.type).toBe('run.failed');
    const at = events.find((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'summarize')!.seq;
    const filed = count('/filer');
    const blocked = await h.service.forkRun(origin.runId, { atSeq: at, agentVersions: { summarizer: 2 } }, 'ann');
    const blockedEvents = await waitForRun(h.spine, blocked.runId);
    expect(blockedEvents.find((e) => e.type === 'task.failed')?.payload).toMatchObject({ nodeId: 'file', retryable: false, error: expect.stringContaining('side_effect_blocked') });
    expect(count('/filer')).toBe(filed);
    const allowed = await h.service.forkRun(origin.runId, { atSeq: at, agentVersions: { summarizer: 2 }, allowSideEffects: true }, 'ann');
    expect((await waitForRun(h.spine, allowed.runId)).at(-1)!.type).toBe('run.completed');
    expect(count('/filer')).toBe(filed + 1);
    await expect(h.service.forkRun(origin.runId, { atSeq: at, agentVersions: { summarizer: 99 } }, 'ann')).rejects.toMatchObject({ code: 'run.fork_agent_version_unknown', httpStatus: 400 });
  });

  it('approvals the origin decided are decided again as they were; a fork that would ask a person is cancelled and reported waiting', async () => {
    const at = (x: number, y = 0) => ({ x: x * 200, y });
    const doc: WorkflowDocumentInput = {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger', position: at(0), config: { mode: 'manual' } },
        { id: 'intake', kind: 'agent', position: at(1), config: { agent: 'intake', input: { n: 'input.n' } } },
        { id: 'summarize', kind: 'agent', position: at(2), config: { agent: 'summarizer', input: { caseId: 'results.intake.caseId' } } },
        { id: 'risk', kind: 'router', position: at(3), config: { routes: [{ id: 'high', condition: 'results.summarize.risk == "high"' }] } },
        { id: 'review', kind: 'approval', position: at(4, -100), config: { role: 'approver' } },
        { id: 'done', kind: 'end', position: at(5), config: { output: { summary: 'results.summarize.summary' } } },
        { id: 'released', kind: 'end', position: at(5, -100), config: { output: { summary: 'results.summarize.summary' } } },
        { id: 'withheld', kind: 'end', position: at(5, -200), config: { outcome: 'failure' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'intake' },
        { id: 'e2', source: 'intake', target: 'summarize' },
        { id: 'e3', source: 'summarize', target: 'risk' },
        { id: 'e4', source: 'risk', sourceHandle: 'high', target: 'review' },
        { id: 'e5', source: 'risk', sourceHandle: 'default', target: 'done' },
        { id: 'e6', source: 'review', sourceHandle: 'approved', target: 'released' },
        { id: 'e7', source: 'review', sourceHandle: 'rejected', target: 'withheld' },
      ],
    };
    const reviewed = (await h.service.workflows.create({ name: 'Reviewed case', document: doc as never })).id;
    await h.service.publishWorkflow(reviewed);
    // Case 1 is high risk: pat approves it. Case 60 is low risk under v1 (v2 makes it high).
    const high = await h.service.startRun(reviewed, { input: { n: 1 } }, 'tom');
    const waiting = waitForRun(h.spine, high.runId);
    for (;;) {
      const approvals = (await h.service.pendingApprovals()).filter((a) => a.runId === high.runId);
      if (approvals.length > 0) {
        await h.service.decideApproval(approvals[0]!.approvalId, { decision: 'approve' }, { name: 'pat', roles: ['approver'] });
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await waiting).at(-1)!.type).toBe('run.completed');
    await waitForRun(h.spine, (await h.service.startRun(reviewed, { input: { n: 60 } }, 'tom')).runId);

    const { evaluationId } = await ev.start(reviewed, { agent: 'summarizer', version: 2, lastN: 5 }, ADA);
    await ev.settled(evaluationId);
    const v = await ev.get(evaluationId);
    expect(v.status).toBe('completed');
    const rows = v.rows as EvaluationRow[];
    const again = rows.find((r) => r.origin === high.runId)!;
    expect(again).toMatchObject({ forkStatus: 'completed', sameOutcome: true });
    expect((await h.service.runEvents(again.fork!)).find((e) => e.type === 'approval.decided')?.payload).toMatchObject({ nodeId: 'review', decision: 'approve', actor: 'pat', auto: true });
    const asks = rows.find((r) => r.origin !== high.runId)!;
    expect(asks).toMatchObject({ forkStatus: 'waiting', sameOutcome: false, reason: expect.stringContaining("approval 'review'") });
    expect((await h.service.getRun(asks.fork!)).status).toBe('cancelled');
    expect((await h.service.pendingApprovals()).filter((a) => a.runId === asks.fork)).toEqual([]);
    expect((await h.service.replayRun(again.fork!)).mismatch).toBeUndefined();
  });

  it('an evaluation that neither ended nor runs in this process (a restart) is reported interrupted, with the rows it had', async () => {
    const origins = (await h.spine.listRuns({ workflowId: wf, statuses: ['completed'], limit: 2 })).map((r) => r.id);
    const id = 'from-before-a-restart';
    await h.spine.append([{ type: 'evaluation.started', key: `evaluation:${id}`, source: { kind: 'user', name: 'ada' }, payload: { evaluationId: id, workflowId: wf, workflowName: 'Legal case', agent: 'summarizer', version: 2, baseVersion: 1, lastN: 2, concurrency: 1, allowSideEffects: false, origins } }]);
    // Read by the service of a process started after it (a restart): interrupted. A process that started
    // before it reads it as running elsewhere, for as long as it writes events.
    expect((await ev.get(id)).status).toBe('running');
    const restarted = createEvaluations({ engine: h.service, spine: h.spine });
    const v = await restarted.get(id);
    expect(v).toMatchObject({ status: 'interrupted', rows: [{ origin: origins[0], state: 'pending' }, { origin: origins[1], state: 'pending' }] });
    await expect(restarted.ship(id, ADA)).resolves.toMatchObject({ decision: { kind: 'shipped' } });
  });

  it('bad starts are refused with a clear code and write nothing', async () => {
    const before = await evaluationEvents();
    await expect(ev.start(wf, { agent: 'nobody', version: 1 }, ADA)).rejects.toMatchObject({ code: 'agent.not_found', httpStatus: 404 });
    await expect(ev.start(wf, { agent: 'summarizer', version: 42 }, ADA)).rejects.toMatchObject({ code: 'evaluation.unknown_version', httpStatus: 400 });
    await expect(ev.start(wf, { agent: 'summarizer', version: 1, lastN: 201 }, ADA)).rejects.toMatchObject({ code: 'evaluation.invalid', httpStatus: 400 });
    await expect(ev.start(wf, { agent: 'summarizer', version: 1, concurrency: 17 }, ADA)).rejects.toMatchObject({ code: 'evaluation.invalid', httpStatus: 400 });
    await expect(ev.start('no-such-workflow', { agent: 'summarizer', version: 1 }, ADA)).rejects.toMatchObject({ code: 'workflow.not_found', httpStatus: 404 });
    await h.service.agentStore.upsert({ name: 'bystander', kind: 'http', config: { url: `${url}/intake` } });
    await expect(ev.start(wf, { agent: 'bystander', version: 1 }, ADA)).rejects.toMatchObject({ code: 'evaluation.agent_not_used', httpStatus: 400 });
    await expect(ev.get('no-such-evaluation')).rejects.toMatchObject({ code: 'evaluation.not_found', httpStatus: 404 });
    expect(await evaluationEvents()).toBe(before);
  });

  it('an output schema change that removes or retypes a field a published workflow reads is 409 with the places; force passes', async () => {
    const reg = createAgentRegistration({ store: h.service.agentStore, registry: h.service.agents, spine: h.spine, outputReaders: h.service.agentOutputReaders });
    const version = (await h.service.agentStore.get('summarizer')).version;
    const dropped = { type: 'object', properties: { summary: { type: 'string' } } };
    const refused = await reg.change('summarizer', { outputSchema: dropped }, ADA).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'agent.schema_breaking', httpStatus: 409 });
    // Both published readers of `risk`: an end step's output mapping and a router's condition.
    const places = (refused as { details: { breaking: { workflowId: string; nodeId: string; field: string; where: string }[] } }).details.breaking;
    expect(places.map((p) => p.where).sort()).toEqual(["Legal case v1 · step 'done' · output 'risk'", "Reviewed case v1 · step 'risk' · route 'high' condition"]);
    expect(places.find((p) => p.nodeId === 'done')).toMatchObject({ workflowId: wf, field: 'risk' });
    const retyped = { ...OUTPUT_SCHEMA, properties: { ...OUTPUT_SCHEMA.properties, summary: { type: 'number' } } };
    await expect(reg.change('summarizer', { outputSchema: retyped }, ADA)).rejects.toMatchObject({ code: 'agent.schema_breaking' });
    expect((await h.service.agentStore.get('summarizer')).version).toBe(version);
    // Adding a field breaks nobody; force registers a breaking one.
    expect((await reg.change('summarizer', { outputSchema: { ...OUTPUT_SCHEMA, properties: { ...OUTPUT_SCHEMA.properties, court: { type: 'string' } } } }, ADA)).version).toBe(version + 1);
    expect((await reg.change('summarizer', { outputSchema: dropped, force: true }, ADA)).version).toBe(version + 2);
  });
});

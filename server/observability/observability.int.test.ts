/**
 * The dashboard's queries on the real database (SQLite or PostgreSQL by SPINE_TEST_DB), over real runs of
 * the demo workflows: timeline filters agree with the live filter, windows page through a snapshot
 * without gaps or repeats, the run list filters and sorts, a summary's reasoning path follows the recorded
 * causes (causationId) back to the event that triggered its run, a history recorded without causes still
 * gets a path (its links marked inferred), and the metrics agree with a count of the log.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { observability, type Observability } from './index';
import { matchesTimelineFilter, workflowLookup, type TimelineFilter } from './timeline';

let h: Harness;
let obs: Observability;
let all: SpineEvent[];
let legalRun: string;
let translationRun: string;

async function readAll(): Promise<SpineEvent[]> {
  const out: SpineEvent[] = [];
  for (let after = 0; ; ) {
    const page = await h.spine.read({ after, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
    after = page.at(-1)!.seq;
  }
}

beforeAll(async () => {
  h = await openHarness({ agents: { sentiment: { failFirst: 1 } } });
  obs = observability({ spine: h.spine, engine: h.service });
  const { seq } = await h.spine.publish({ type: 'case.opened', key: 'case:9', source: { kind: 'agent', name: 'intake' }, payload: { facts: 'GDPR breach at a subsidiary', note: 'A <b>bold</b> claim', intent: 'Assess the case' } });
  const trigger = await h.spine.getEvent(seq);
  const ac = new AbortController();
  for await (const e of h.spine.subscribe({ types: ['run.started'], after: seq, signal: ac.signal })) {
    if (e.causationId === trigger.id) {
      legalRun = e.runId!;
      break;
    }
  }
  const gate = await waitForEvent(h.spine, legalRun, (e) => e.type === 'approval.requested' || e.type === 'run.completed');
  if (gate.type === 'approval.requested') await h.service.decideApproval((gate.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: 'paula' });
  await waitForRun(h.spine, legalRun);
  translationRun = (await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you', to: 'de' }, intent: 'Translate a thank-you' }, 'tom')).runId;
  await waitForRun(h.spine, translationRun);
  for (let i = 0; i < 30; i++) await h.spine.publish({ type: i % 2 ? 'ledger.debit' : 'ledger.credit', key: `acct:${i % 4}`, source: { kind: 'user', name: i % 3 ? 'ann' : 'bob' }, payload: { amount: i, memo: i === 7 ? 'Lucky Seven' : 'x' } });
  all = await readAll();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe(`timeline (${testDbKind()})`, () => {
  const filters = (): TimelineFilter[] => [
    {},
    { types: ['task.*'] },
    { types: ['ledger.*', 'run.completed'] },
    { types: ['*.debit'] },
    { runId: legalRun },
    { key: 'acct:1' },
    { agent: 'summarizer' },
    { sourceKind: 'user' },
    { text: 'lucky seven' },
    { text: '<b>bold' },
    { workflowId: (all.find((e) => e.type === 'run.started' && e.runId === translationRun)!.payload as { workflowId: string }).workflowId },
    { fromMs: Date.parse(all[10]!.time), toMs: Date.parse(all[40]!.time) },
    { types: ['task.completed'], fromMs: Date.parse(all[5]!.time) },
  ];

  it('counts and pages each filter exactly like the live filter selects', async () => {
    const lookup = workflowLookup(h.spine.log);
    for (const f of filters()) {
      const expected: number[] = [];
      for (const e of [...all].reverse()) if (await matchesTimelineFilter(f, e, lookup)) expected.push(e.seq);
      const snap = await obs.timelineSnapshot(f);
      expect({ f, total: snap.total }).toEqual({ f, total: expected.length });
      const got: number[] = [];
      for (let offset = 0; offset < snap.total; offset += 7) got.push(...(await obs.timelineWindow(f, snap.topSeq, offset, 7)).map((e) => e.seq));
      expect({ f, got }).toEqual({ f, got: expected });
    }
  });

  it('keeps offsets stable while new events arrive, and locates a seq', async () => {
    const snap = await obs.timelineSnapshot({ types: ['ledger.*'] });
    const before = await obs.timelineWindow({ types: ['ledger.*'] }, snap.topSeq, 3, 5);
    await h.spine.publish({ type: 'ledger.credit', payload: { amount: 1 } });
    expect(await obs.timelineWindow({ types: ['ledger.*'] }, snap.topSeq, 3, 5)).toEqual(before);
    const target = before[2]!.seq;
    expect(await obs.timelineLocate({ types: ['ledger.*'] }, snap.topSeq, target)).toEqual({ offset: 5, seq: target });
    expect(await obs.timelineLocate({}, snap.topSeq, target)).toEqual({ offset: snap.topSeq - target, seq: target });
  });

  it('tails live with the same filter, after a cursor', async () => {
    const ac = new AbortController();
    const head = await h.spine.head();
    const seen: SpineEvent[] = [];
    const tail = (async () => {
      for await (const e of obs.timelineLive({ types: ['ledger.*'], text: 'needle' }, head, ac.signal)) {
        seen.push(e);
        if (seen.length === 2) break;
      }
    })();
    await h.spine.publish({ type: 'ledger.credit', payload: { memo: 'hay' } });
    await h.spine.publish({ type: 'ledger.credit', payload: { memo: 'a Needle' } });
    await h.spine.publish({ type: 'other.event', payload: { memo: 'needle' } });
    await h.spine.publish({ type: 'ledger.debit', payload: { memo: 'needle again' } });
    await tail;
    ac.abort();
    expect(seen.map((e) => (e.payload as { memo: string }).memo)).toEqual(['a Needle', 'needle again']);
  });
});

describe(`event details and reasoning paths (${testDbKind()})`, () => {
  it('traces the summary back to the case.opened event that started the run', async () => {
    const summary = all.find((e) => e.runId === legalRun && e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'summarizer')!;
    const path = await obs.reasoningPath(legalRun, String(summary.seq));
    expect(path.complete).toBe(true);
    // Every link is read from the log, except one inferred for each event the engine appended without a cause.
    const uncaused = all.filter((e) => path.hops.some((h) => h.events.includes(e.seq)) && !e.causationId && e.type !== 'run.started' && e.runId === legalRun);
    expect(uncaused.map((e) => e.type)).toEqual(uncaused.map(() => 'timer.fired'));
    expect(path.links.inferred).toBeLessThanOrEqual(uncaused.length);
    expect(path.hops[0]).toMatchObject({ kind: 'trigger', label: 'case.opened', actor: { kind: 'agent', name: 'intake' } });
    expect(path.hops[1]).toMatchObject({ kind: 'start' });
    expect(path.intent).toBe('Assess the case');
    expect(path.hops.at(-1)).toMatchObject({ id: 'node:summarizer', actor: { name: 'summarizer' } });
    expect(path.workflow).toMatchObject({ slug: 'legal-case-analysis', name: (await h.service.workflows.getVersion('legal-case-analysis')).name });
    expect(path.versions[0]).toMatchObject({ version: 1, intent: 'Assess the case' });
    // The same path by event id.
    expect((await obs.reasoningPath(legalRun, summary.id)).hops.map((x) => x.id)).toEqual(path.hops.map((x) => x.id));
  });

  it('walks the recorded causes from the summary back to case.opened, event by event', async () => {
    const name = (e: { type: string; seq: number }) => {
      const p = all.find((x) => x.seq === e.seq)!.payload as { nodeId?: string };
      return [e.type, p?.nodeId].filter(Boolean).join(' ');
    };
    const summary = all.find((e) => e.runId === legalRun && e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'summarizer')!;
    const chain: string[] = [name(summary)];
    for (let seq: number | undefined = summary.seq; seq !== undefined; ) {
      const d = await obs.eventDetail(seq);
      const first = d.causes[0];
      if (d.event.causationId) expect({ at: name(d.event), cause: first }).toMatchObject({ at: name(d.event), cause: { id: d.event.causationId, inferred: false } });
      else if (first) expect({ at: name(d.event), inferred: first.inferred }).toEqual({ at: name(d.event), inferred: d.event.runId !== null });
      if (first) chain.push(name(first));
      seq = first?.seq;
    }
    // The join names the input that completed it: the analysis whose result came last.
    const analyses = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
    const last = all.filter((e) => e.runId === legalRun && e.type === 'task.completed' && analyses.includes((e.payload as { nodeId: string }).nodeId)).at(-1)!;
    const lastNode = (last.payload as { nodeId: string }).nodeId;
    expect(chain.slice(0, 5)).toEqual(['task.completed summarizer', 'task.dispatched summarizer', 'join.satisfied all-analyses', `task.completed ${lastNode}`, `task.dispatched ${lastNode}`]);
    expect(chain.slice(-5)).toEqual(['fanout.started analyse', 'node.completed case-opened', 'run.key_acquired', 'run.started', 'case.opened']);
    // In between, only a retry of that analysis (its timer, the retry, the failure, the first dispatch).
    expect(chain.slice(5, -5).every((x) => x.endsWith(lastNode) || x === 'timer.fired')).toBe(true);
  });

  it('lists causes and effects of an event, including the run it triggered', async () => {
    const opened = all.find((e) => e.type === 'case.opened')!;
    const d = await obs.eventDetail(opened.seq);
    expect(d.effects.map((x) => [x.type, x.relation, x.inferred])).toEqual([['run.started', 'trigger', false]]);
    const started = all.find((e) => e.type === 'run.started' && e.runId === legalRun)!;
    expect((await obs.eventDetail(started.seq)).causes[0]).toMatchObject({ seq: opened.seq, relation: 'trigger', inferred: false });
    const fan = all.find((e) => e.runId === legalRun && e.type === 'fanout.started')!;
    const fanEffects = (await obs.eventDetail(fan.seq)).effects;
    expect(fanEffects.map((x) => x.type)).toEqual(Array(5).fill('task.dispatched'));
    expect(fanEffects.map((x) => x.seq)).toEqual([...fanEffects.map((x) => x.seq)].sort((a, b) => a - b));
    expect(fanEffects.every((x) => !x.inferred && x.relation === 'flow')).toBe(true);
    const dispatch = all.find((e) => e.runId === legalRun && e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'summarizer')!;
    const dd = await obs.eventDetail(dispatch.seq);
    expect(dd.causes.map((x) => [x.type, x.relation, x.inferred])).toEqual([['join.satisfied', 'flow', false]]);
    expect(dd.effects.map((x) => [x.type, x.relation, x.inferred])).toEqual([['task.completed', 'attempt', false]]);
    expect(dd.run).toMatchObject({ id: legalRun, workflowSlug: 'legal-case-analysis' });
  });

  it('gives a run’s detail: node states, waterfall with the retry, envelope versions', async () => {
    const d = await obs.runDetail(translationRun);
    expect(d.run.status).toBe('completed');
    expect(d.document?.nodes.length).toBeGreaterThan(0);
    const sentiment = d.waterfall.rows.find((r) => r.nodeId === 'sentiment')!;
    expect(sentiment.spans.map((s) => s.kind)).toEqual(['work', 'retry-wait', 'work']);
    expect(d.versions[0]).toMatchObject({ version: 1, intent: 'Translate a thank-you' });
    expect(d.events.at(-1)!.type).toBe('run.completed');
    expect(d.index).toMatchObject({ workflowSlug: 'translation-after-sentiment', startedBy: 'tom' });
  });
});

describe(`runs and metrics (${testDbKind()})`, () => {
  it('lists runs with filters and sorting', async () => {
    const list = await obs.runList({});
    expect(list.total).toBe(2);
    expect(list.rows.map((r) => r.id)).toEqual([translationRun, legalRun]);
    expect(list.rows[1]).toMatchObject({ workflowSlug: 'legal-case-analysis', status: 'completed' });
    expect((await obs.runList({ startedBy: 'tom' })).rows.map((r) => r.id)).toEqual([translationRun]);
    expect((await obs.runList({ sort: 'started', dir: 'asc' })).rows.map((r) => r.id)).toEqual([legalRun, translationRun]);
    expect((await obs.runList({ runId: legalRun.slice(0, 8) })).rows.map((r) => r.id)).toEqual([legalRun]);
    expect((await obs.runList({ statuses: ['failed'] })).total).toBe(0);
    const byDuration = await obs.runList({ sort: 'duration', dir: 'desc' });
    expect(byDuration.rows).toHaveLength(2);
    expect((await obs.runFilters()).workflows.map((w) => w.slug).sort()).toEqual(['legal-case-analysis', 'translation-after-sentiment']);
  });

  it('computes the overview from the log', async () => {
    const o = await obs.overview({ window: '1h' });
    const count = (type: string) => all.filter((e) => e.type === type).length;
    expect(o.tasks.dispatched).toBe(count('task.dispatched'));
    expect(o.tasks.failed).toBe(count('task.failed'));
    expect(o.tasks.retried).toBe(count('task.retried'));
    expect(o.tasks.retried).toBeGreaterThan(0);
    expect(o.runsByStatus.completed).toBe(2);
    expect(o.runs.completed).toBe(2);
    expect(o.head).toBe(await h.spine.head());
    expect(o.eventsInWindow).toBe(o.head);
    expect(o.throughput.reduce((a, b) => a + b.n, 0)).toBe(o.head);
    const summarizer = o.agents.find((a) => a.agent === 'summarizer')!;
    expect(summarizer).toMatchObject({ count: 1, dispatched: 1, failed: 0 });
    const sentiment = o.agents.find((a) => a.agent === 'sentiment')!;
    const toSentiment = all.filter((e) => e.type === 'task.dispatched' && (e.payload as { agent: string }).agent === 'sentiment');
    expect(sentiment).toMatchObject({
      dispatched: toSentiment.length,
      failed: all.filter((e) => e.type === 'task.failed' && e.source.name === 'sentiment').length,
      retries: toSentiment.filter((e) => (e.payload as { attempt: number }).attempt > 1).length,
    });
    expect(sentiment.retries).toBeGreaterThan(0);
    expect(sentiment.spark.reduce((a, b) => a + b.n, 0)).toBe(sentiment.count);
    const agent = o.nodeKinds.find((k) => k.kind === 'agent')!;
    expect(agent.count).toBe(count('task.completed'));
    expect(agent.p50!).toBeLessThanOrEqual(agent.p95!);
    expect(o.nodeKinds.find((k) => k.kind === 'approval')!.count).toBe(count('approval.decided'));
    expect(o.joins.count).toBe(1);
    expect(o.nodeKinds.find((k) => k.kind === 'run')!.count).toBe(2);
    expect(o.approvals.pending).toBe(0);
  });

  it('lists a pending approval with its age', async () => {
    const run = await h.service.startRun('procurement', { input: { amount: 500, quantity: 1 } }, 'olga');
    await waitForEvent(h.spine, run.runId, (e) => e.type === 'approval.requested');
    const o = await obs.overview({ window: '15m' });
    expect(o.approvals.pending).toBe(1);
    expect(o.approvals.items[0]).toMatchObject({ runId: run.runId, nodeId: 'contract-approval', nodeLabel: 'Contract approval', workflowName: expect.any(String) });
    expect(o.approvals.oldestRequestedAtMs).toBeLessThanOrEqual(Date.now());
    const list = await obs.runList({ statuses: ['waiting'] });
    expect(list.rows[0]!.waitingOn).toEqual([{ kind: 'approval', label: 'contract-approval' }]);
    await h.service.cancelRun(run.runId, 'test');
  });
});

// Last, because it adds a run the counts above do not expect.
describe(`a history recorded before events named their causes (${testDbKind()})`, () => {
  it('still yields a complete path and event details, with the links marked inferred', async () => {
    // The legal case as an older engine wrote it (no causationId), appended in one commit on this
    // database's own version of the workflow: a finished run the engine has nothing left to do for.
    const dir = path.join(import.meta.dirname, '../engine/__fixtures__');
    const old = readFileSync(path.join(dir, 'legal-case-high-risk-approved.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpineEvent);
    expect(old.every((e) => e.causationId === null)).toBe(true);
    const current = all.find((e) => e.type === 'run.started' && e.runId === legalRun)!.payload as { workflowId: string; version: number };
    await h.spine.append(old.map((e) => ({
      type: e.type, runId: e.runId!, source: e.source, ...(e.idempotencyKey && { idempotencyKey: e.idempotencyKey }),
      payload: e.type === 'run.started' ? { ...(e.payload as object), workflowId: current.workflowId, version: current.version } : e.payload,
    })));
    const runId = old[0]!.runId!;
    const events = await waitForRun(h.spine, runId);
    const seqOf = (type: string, nodeId?: string) => events.find((e) => e.type === type && (nodeId === undefined || (e.payload as { nodeId?: string }).nodeId === nodeId))!.seq;

    const p = await obs.reasoningPath(runId, String(seqOf('task.completed', 'summarizer')));
    expect(p.complete).toBe(true);
    expect(p.hops.map((x) => x.id)).toEqual([
      'start', 'node:case-opened', 'node:analyse', 'node:case-law', 'node:financial-impact', 'node:regulatory-risk', 'node:precedent', 'node:sentiment', 'node:all-analyses', 'node:summarizer',
    ]);
    expect(p.links.inferred).toBeGreaterThan(0);
    expect(p.hops.find((x) => x.id === 'node:summarizer')!.causes).toEqual([{ hop: 'node:all-analyses', relation: 'flow', inferred: true }]);
    expect(p.hops.find((x) => x.id === 'node:case-law')!.causes).toEqual([{ hop: 'node:analyse', relation: 'flow', inferred: true }]);

    const d = await obs.eventDetail(seqOf('task.dispatched', 'summarizer'));
    expect(d.causes.map((x) => [x.type, x.relation, x.inferred])).toEqual([['join.satisfied', 'flow', true]]);
    expect(d.effects.map((x) => [x.type, x.relation, x.inferred])).toEqual([['task.completed', 'attempt', true]]);
  });
});

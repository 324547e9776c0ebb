/**
 * Durability of runs under kill -9: an engine server process (server/testing/engineServer.ts) accepts 200
 * concurrent runs of the legal-case workflow over HTTP and is killed with SIGKILL while work is in flight.
 * What is in flight at the kill is made, not hoped for: the first server holds agent calls (SPINE_TEST_HOLD),
 * so a few runs complete, some have all five analyses in and their summary held (the join fired before the
 * kill), and the rest have their analyses held; the test kills only once it has seen all three.
 * Restarted on the same database (nothing held), it recovers every active run from the log. Then: every run
 * completes, no (node, attempt) completes twice, each run's join fired exactly once, and the hash chain verifies.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import type { AgentTask } from '@/server/agents/adapter';
import { openSpine, type SpineEvent } from '@/server/spine';
import { openHarness, waitForEvent, waitForRun } from '@/server/testing/engineHarness';
import { freeUrlPort } from '@/server/testing/net';
import { onLines, spawnTs, waitForLine } from '@/server/testing/processes';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';

const RUNS = 200;
const AGENT_LATENCY_MS = 100;
/** Runs served normally by the first server: they complete before the kill. */
const FREE_RUNS = 5;
/** Runs whose summary is held: their five analyses and join are in the log at the kill, the summarizer in flight. */
const PARTIAL_RUNS = 10;
/** Analyses held (in flight) at the kill, at least: the later runs have every call held. */
const HELD_ANALYSES = 25;
/** Starts sent as the process is killed: certainly cut off, and retried after the restart. */
const CUT_OFF = 20;
const ANALYSTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];

function startServer(url: string, port: number, env: Record<string, string> = {}): { child: ChildProcess; ready: Promise<unknown> } {
  const child = spawnTs('server/testing/engineServer.ts', [String(port), String(AGENT_LATENCY_MS)], { DATABASE_URL: url, ...env });
  return { child, ready: waitForLine(child, /ready (\d+)/, 60_000) };
}

/** Follows the SSE stream of run endings from the start of the log until `done` says stop. */
async function followEndings(base: string, onEnd: (e: SpineEvent) => boolean, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${base}/events/stream?after=0&types=run.completed,run.failed,run.cancelled`, { signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = /^data: (.*)$/m.exec(buf.slice(0, i));
        buf = buf.slice(i + 2);
        if (data && onEnd(JSON.parse(data[1]!) as SpineEvent)) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

describe(`engine crash safety (${testDbKind()})`, () => {
  it(`kill -9 during ${RUNS} concurrent runs, restart: all complete, no (node, attempt) completes twice, each join fires once`, async () => {
    const url = await freshDatabaseUrl();
    const port = await freeUrlPort();
    const base = `http://127.0.0.1:${port}/api/v1`;
    let server = startServer(url, port, { SPINE_TEST_HOLD: JSON.stringify({ freeRuns: FREE_RUNS, partialRuns: PARTIAL_RUNS, partialHolds: ['summarizer'] }) });
    const heldSummaries = new Set<string>();
    let heldAnalyses = 0;
    let inFlight!: () => void;
    const enoughInFlight = new Promise<void>((r) => (inFlight = r));
    onLines(server.child, (line) => {
      const held = /^held (\S+) (\S+)$/.exec(line);
      if (!held) return;
      if (held[1] === 'summarizer') heldSummaries.add(held[2]!);
      else heldAnalyses++;
      if (heldSummaries.size >= PARTIAL_RUNS && heldAnalyses >= HELD_ANALYSES) inFlight();
    });
    await server.ready;

    // Start the runs while following their endings; kill once the free runs have completed and the held
    // work is announced, whatever is still being started, and with the last CUT_OFF starts sent just as the
    // process dies. A start the crash cut off is retried after the restart with its idempotency key, which
    // either returns the run the first request created or creates it now.
    const t0 = Date.now();
    const before = new Set<string>();
    const stopFollowing = new AbortController();
    const freeCompleted = followEndings(base, (e) => {
      before.add(e.runId!);
      return before.size >= FREE_RUNS;
    }, stopFollowing.signal);
    const startRun = async (i: number): Promise<{ runId: string; status: number } | null> => {
      try {
        const res = await fetch(`${base}/workflows/legal-case-analysis/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input: { facts: `Late delivery of office chairs, order ${i}` }, idempotencyKey: `crash-${i}` }),
        });
        return { runId: ((await res.json()) as { runId: string }).runId, status: res.status };
      } catch {
        return null; // the server is gone
      }
    };
    const firstTry = Array.from({ length: RUNS - CUT_OFF }, (_, i) => startRun(i));
    await Promise.all([freeCompleted, enoughInFlight]);
    const exited = new Promise((r) => server.child.once('exit', r));
    firstTry.push(...Array.from({ length: CUT_OFF }, (_, i) => startRun(RUNS - CUT_OFF + i)));
    server.child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now() - t0;
    const acked = await Promise.all(firstTry);
    expect(acked.every((r) => r === null || r.status === 202)).toBe(true);
    expect(acked.slice(-CUT_OFF), 'starts sent as the process died').toEqual(Array(CUT_OFF).fill(null));

    const restartWallClock = Date.now();
    server = startServer(url, port);
    await server.ready;
    const restartedAt = Date.now() - t0;
    const retried = await Promise.all(acked.map((r, i) => r ?? startRun(i)));
    const runIds = retried.map((r) => r!.runId);
    const ours = new Set(runIds);
    expect(ours.size).toBe(RUNS);
    const ended = new Map<string, string>();
    const deadline = AbortSignal.timeout(60_000);
    await followEndings(base, (e) => {
      if (ours.has(e.runId!)) ended.set(e.runId!, e.type);
      return ended.size === RUNS;
    }, deadline).catch((err) => {
      throw new Error(`only ${ended.size} of ${RUNS} runs ended within 60 s after the restart (${String(err)})`);
    });
    const allDoneAt = Date.now() - t0;
    const exit2 = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exit2;

    const spine = await openSpine({ databaseUrl: url, migrate: false });
    try {
      const all: SpineEvent[] = [];
      for (let after = 0; ; ) {
        const page = await spine.read({ after, limit: 1000 });
        if (!page.length) break;
        all.push(...page);
        after = page[page.length - 1]!.seq;
      }
      const byRun = new Map<string, SpineEvent[]>();
      for (const e of all) if (e.runId && ours.has(e.runId)) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);

      const completedTwice: string[] = [];
      const badJoins: string[] = [];
      const notCompleted: string[] = [];
      let redispatched = 0;
      let resumed = 0;
      let endedBeforeKill = 0;
      let joinedBeforeKillEndedAfter = 0;
      let analysesInFlightAtKill = 0;
      const wrongInput: string[] = [];
      for (const runId of runIds) {
        const events = byRun.get(runId) ?? [];
        const completions = new Map<string, number>();
        const dispatches = new Map<string, number>();
        for (const e of events) {
          const { nodeId, attempt } = e.payload as { nodeId: string; attempt: number };
          if (e.type === 'task.completed') completions.set(`${nodeId}#${attempt}`, (completions.get(`${nodeId}#${attempt}`) ?? 0) + 1);
          if (e.type === 'task.dispatched') dispatches.set(`${nodeId}#${attempt}`, (dispatches.get(`${nodeId}#${attempt}`) ?? 0) + 1);
        }
        for (const [k, n] of completions) if (n > 1) completedTwice.push(`${runId} ${k} ×${n}`);
        redispatched += [...dispatches.values()].filter((n) => n > 1).length;
        const joins = events.filter((e) => e.type === 'join.satisfied').length;
        if (joins !== 1) badJoins.push(`${runId}: ${joins}`);
        const ends = events.filter((e) => e.type === 'run.completed' || e.type === 'run.failed' || e.type === 'run.cancelled');
        const beforeKill = (e: SpineEvent) => Date.parse(e.time) < restartWallClock;
        if (ends[0] && !beforeKill(ends[0])) resumed++;
        if (ends[0] && beforeKill(ends[0])) endedBeforeKill++;
        if (events.some((e) => e.type === 'join.satisfied' && beforeKill(e)) && ends[0] && !beforeKill(ends[0])) joinedBeforeKillEndedAfter++;
        const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId ?? '';
        const completedBeforeKill = new Set(events.filter((e) => e.type === 'task.completed' && beforeKill(e)).map(nodeOf));
        analysesInFlightAtKill += events.filter((e) => e.type === 'task.dispatched' && beforeKill(e) && ANALYSTS.includes(nodeOf(e)) && !completedBeforeKill.has(nodeOf(e))).length;
        // Work redone after the restart got the same input as the first time: the summary saw all five analyses.
        const summary = (ends[0]?.payload as { output?: { summarizer?: { sources?: string[] } } } | undefined)?.output?.summarizer;
        if (summary && summary.sources?.length !== 5) wrongInput.push(`${runId}: summarizer saw ${JSON.stringify(summary.sources)}`);
        if (ends.length !== 1 || ends[0]!.type !== 'run.completed' || (await spine.getRun(runId))?.status !== 'completed') notCompleted.push(`${runId}: ${ends.map((e) => e.type).join(',')}`);
      }
      // The precondition, read back from the log: what the hold kept in flight was in flight at the kill.
      expect(endedBeforeKill, 'runs completed before the kill').toBe(FREE_RUNS);
      expect(resumed, 'runs the crash interrupted (or cut off at their start), finished after the restart').toBe(RUNS - FREE_RUNS);
      expect(joinedBeforeKillEndedAfter, 'runs whose join fired before the kill and whose summary came after').toBe(PARTIAL_RUNS);
      expect(analysesInFlightAtKill, 'analyses dispatched but not completed at the kill').toBeGreaterThanOrEqual(HELD_ANALYSES);
      expect(notCompleted).toEqual([]);
      expect(completedTwice).toEqual([]);
      expect(redispatched, '(node, attempt) dispatched twice').toBe(0);
      expect(badJoins).toEqual([]);
      expect(wrongInput).toEqual([]);
      const head = await spine.head();
      expect(await spine.verify()).toMatchObject({ ok: true, checked: head });
      console.log(
        `engine crash (${testDbKind()}): killed at ${killedAt} ms with ${acked.filter(Boolean).length} of ${RUNS} starts acknowledged, ${endedBeforeKill} runs completed, ` +
          `${joinedBeforeKillEndedAfter} summaries and ${analysesInFlightAtKill} analyses in flight; ` +
          `restarted at ${restartedAt} ms; ${resumed} runs finished after the restart, all ${RUNS} completed at ${allDoneAt} ms; ${head} events, chain verified`,
      );
    } finally {
      await spine.close();
    }
  }, 120_000);

  it('a task in flight when the engine stops is dispatched again after the restart, with the input it was first given', async () => {
    // The first engine's summarizer call never answers (it ends when the engine stops and aborts it), so the
    // task is in flight at the stop whatever the machine's speed; the second engine's calls are answered.
    const slow = { summarizer: { latencyMs: 50 } };
    let holding = true;
    const invoke = BuiltinAdapter.prototype.invoke;
    vi.spyOn(BuiltinAdapter.prototype, 'invoke').mockImplementation(function (this: BuiltinAdapter, agent, task: AgentTask, signal) {
      if (!holding || task.nodeId !== 'summarizer') return invoke.call(this, agent, task, signal);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true }));
    });
    const first = await openHarness({ agents: slow });
    const { runId } = await first.service.startRun('legal-case-analysis', { input: { facts: 'Late delivery of office chairs' } }, 'olga');
    const dispatched = await waitForEvent(first.spine, runId, (e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'summarizer');
    await first.close();
    holding = false;
    const spine = await openSpine({ databaseUrl: first.url, migrate: false });
    const atStop = await spine.read({ after: 0, limit: 1000, filter: { runId } });
    await spine.close();
    expect(atStop.filter((e) => (e.payload as { nodeId?: string }).nodeId === 'summarizer').map((e) => e.type), 'the summarizer was in flight at the stop').toEqual(['task.dispatched']);

    const second = await openHarness({ url: first.url, agents: slow });
    try {
      const events = await waitForRun(second.spine, runId);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed' });
      expect(events.filter((e) => e.type === 'task.dispatched' && (e.payload as { nodeId: string }).nodeId === 'summarizer')).toHaveLength(1);
      const summary = (events.find((e) => e.type === 'task.completed' && (e.payload as { nodeId: string }).nodeId === 'summarizer')!.payload as { output: { sources: string[] } }).output;
      expect(summary.sources).toEqual(Object.keys((dispatched.payload as { input: Record<string, unknown> }).input));
      expect(summary.sources).toHaveLength(5);
    } finally {
      await second.close();
    }
  });

  afterEach(() => vi.restoreAllMocks());

  it('a restart that replays events of runs that had already ended calls none of their agents again', async () => {
    // Agents with some latency go through the adapter (zero-latency builtins run inline), so calls are counted.
    const agents = Object.fromEntries(['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'].map((a) => [a, { latencyMs: 1 }]));
    const first = await openHarness({ agents });
    const { runId: old } = await first.service.startRun('legal-case-analysis', { input: { facts: 'Late delivery of office chairs' } }, 'olga');
    await waitForRun(first.spine, old);
    await first.close();
    // A crash before the engine committed its offset: the next start replays the run from its first event.
    const spine = await openSpine({ databaseUrl: first.url, migrate: false });
    await spine.log.saveOffset('engine', 0, {});
    await spine.close();

    const calls: string[] = [];
    const invoke = BuiltinAdapter.prototype.invoke;
    vi.spyOn(BuiltinAdapter.prototype, 'invoke').mockImplementation(function (this: BuiltinAdapter, agent, task: AgentTask, signal) {
      calls.push(task.runId);
      return invoke.call(this, agent, task, signal);
    });
    const ended: string[] = [];
    const second = await openHarness({ url: first.url, agents, onRunEnded: (s) => ended.push(s.runId) });
    try {
      // A run started after the restart is a sync point: the replay is routed before its events.
      const { runId: fresh } = await second.service.startRun('legal-case-analysis', { input: { facts: 'A new case' } }, 'olga');
      await waitForRun(second.spine, fresh);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls.filter((id) => id === old)).toEqual([]);
      expect(calls.filter((id) => id === fresh)).toHaveLength(6);
      expect(ended).toEqual([fresh]);
      expect((await second.service.runEvents(old)).filter((e) => e.type === 'run.completed')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

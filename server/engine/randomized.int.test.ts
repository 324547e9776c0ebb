/**
 * Randomized: random valid DAGs of fan-outs, joins (all / any / quorum), routers (conditions on `input` and
 * `results`) and echo agents with random latencies (0-20 ms), failure rates, retry policies and error
 * edges, published through the store and run concurrently on the selected database, while people patch
 * the context (making work in progress stale) and cancel runs at random moments. Whatever happens:
 *   - every run ends (completed, failed or cancelled), and the first terminal event decides: the engine
 *     appends nothing after it; "ends" is bounded by progress, not by a total time that a busy machine may
 *     need: the test fails once no run has ended for STALL_MS while some are still going;
 *   - every join fires at most once per run, and exactly once when the run went through it;
 *   - no (node, attempt) is dispatched, completed or failed twice, and none both completes and fails;
 *   - folding each run's history from the log gives the engine's live state at the end, and the run
 *     index agrees on the outcome;
 *   - each agent call through the adapter (idempotency key) is made once: no crash here, so at-least-once
 *     means once. (Zero-latency builtins run inline inside the step and are not counted.)
 * The seed is in the test name and printed on failure; SPINE_TEST_SEED=<n> reruns the same workflows.
 */
import { afterEach, describe, expect, it, onTestFailed, vi } from 'vitest';
import type { SpineEvent } from '@/server/spine';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import type { AgentTask } from '@/server/agents/adapter';
import type { RunState } from '@/server/engine';
import type { CompiledWorkflow } from './graph';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { seededRandom } from '@/server/testing/random';
import { randomInput, randomWorkflow } from '@/server/testing/randomWorkflow';
import { testDbKind } from '@/server/testing/testDb';

const SEED = Number(process.env.SPINE_TEST_SEED ?? Math.floor(Math.random() * 1_000_000));
const WORKFLOWS = 30;
const RUNS_PER_WORKFLOW = 4;
/** No run ends for this long while some are still going: stuck (agents take ≤ 20 ms, backoffs ≤ 20 ms). */
const STALL_MS = 15_000;

const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);
const p = (e: SpineEvent) => e.payload as { nodeId?: string; attempt?: number; arrived?: string[]; endNodeId?: string };
const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const ignoreEnded = (e: { code?: string }) => {
  if (e.code !== 'run.not_running') throw e;
};

describe(`randomized workflows (${testDbKind()}, seed ${SEED})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h?.close();
    h = undefined;
  });

  it(`${WORKFLOWS} random workflows × ${RUNS_PER_WORKFLOW} concurrent runs: every run ends, joins fire once, no attempt completes twice, replay = live state`, async () => {
    onTestFailed(() => console.error(`randomized engine test failed with seed ${SEED}: rerun with SPINE_TEST_SEED=${SEED}`));
    const random = seededRandom(SEED);
    const calls = new Map<string, number>();
    const invoke = BuiltinAdapter.prototype.invoke;
    vi.spyOn(BuiltinAdapter.prototype, 'invoke').mockImplementation(function (this: BuiltinAdapter, agent, task: AgentTask, signal) {
      calls.set(task.idempotencyKey, (calls.get(task.idempotencyKey) ?? 0) + 1);
      return invoke.call(this, agent, task, signal);
    });

    const live = new Map<string, RunState>();
    const endings = new Map<string, number>();
    let allEnded: () => void = () => undefined;
    const expected = WORKFLOWS * RUNS_PER_WORKFLOW;
    const ended = new Promise<void>((resolve) => (allEnded = resolve));
    h = await openHarness({
      seed: false,
      onRunEnded: (s) => {
        live.set(s.runId, structuredClone(s));
        endings.set(s.runId, (endings.get(s.runId) ?? 0) + 1);
        if (live.size === expected) allEnded();
      },
    });
    const { service } = h;

    // Publish the workflows (with their agents) through the store.
    const generated = Array.from({ length: WORKFLOWS }, (_, w) => ({ slug: `random-${w}`, ...randomWorkflow(random, `r${w}`) }));
    await Promise.all(generated.flatMap((g) => g.agents.map((a) => service.agentStore.upsert({ name: a.name, kind: 'builtin', config: a.config }))));
    service.agents.invalidate();
    await Promise.all(
      generated.map(async (g, w) => {
        await service.workflows.create({ name: `Random ${w}`, slug: g.slug, document: g.document });
        await service.publishWorkflow(g.slug, { summary: `seed ${SEED}` });
      }),
    );
    const workflows = generated.map(({ slug }) => ({ slug }));

    const started = Date.now();
    const runIds: string[] = [];
    await Promise.all(
      workflows.flatMap(({ slug }) =>
        Array.from({ length: RUNS_PER_WORKFLOW }, async () => {
          const { runId } = await service.startRun(slug, { input: randomInput(random) }, 'randomized');
          runIds.push(runId);
          // Interference from people, at random moments: a change of the shared state (results already
          // being worked on go stale and are re-run), or a cancellation. Either may arrive after the end.
          const patchAfter = random() < 0.3 ? Math.floor(random() * 40) : null;
          const cancelAfter = random() < 0.08 ? Math.floor(random() * 60) : null;
          if (patchAfter !== null) setTimeout(() => void service.patchContext(runId, { patch: { note: `changed after ${patchAfter} ms` } }, 'customer').catch(ignoreEnded), patchAfter);
          if (cancelAfter !== null) setTimeout(() => void service.cancelRun(runId, 'operator').catch(ignoreEnded), cancelAfter);
        }),
      ),
    );
    let watchdog: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((r) => {
      let [last, lastChange] = [live.size, Date.now()];
      watchdog = setInterval(() => {
        if (live.size !== last) [last, lastChange] = [live.size, Date.now()];
        else if (Date.now() - lastChange > STALL_MS) r('stalled');
      }, 500);
    });
    const outcome = await Promise.race([ended, stalled]).finally(() => clearInterval(watchdog));
    if (outcome === 'stalled') {
      const stuck = runIds.filter((id) => !live.has(id));
      const detail = await Promise.all(stuck.slice(0, 5).map(async (id) => `${id}: ${(await service.runEvents(id)).slice(-6).map((e) => `${e.type}(${p(e).nodeId ?? ''})`).join(' ')}`));
      throw new Error(`${stuck.length} of ${expected} runs did not end (none ended for ${STALL_MS} ms):\n${detail.join('\n')}`);
    }
    const elapsed = Date.now() - started;

    const outcomes = { completed: 0, failed: 0, cancelled: 0 };
    const failures: Record<string, number> = {};
    let events = 0;
    let joinsFired = 0;
    let stale = 0;
    for (const runId of runIds) {
      const log = await service.runEvents(runId);
      events += log.length;
      stale += log.filter((e) => e.type === 'task.stale').length;
      const folded = (await service.fold(runId))!;
      const { state, wf } = folded;
      const where = `run ${runId} (${state.slug})`;

      // Ends once: the first terminal event decides, and the engine appends nothing after it. (A person's
      // command that raced the end may follow it in the log; it changes nothing.)
      const terminalAt = log.findIndex((e) => TERMINAL.has(e.type));
      expect(terminalAt, where).toBeGreaterThanOrEqual(0);
      const terminal = [log[terminalAt]!];
      expect(log.slice(terminalAt + 1).filter((e) => e.source.name === 'engine' || e.source.kind === 'agent').map((e) => `${e.type}(${p(e).nodeId ?? ''})`), `${where} after ${log[terminalAt]!.type} by ${log[terminalAt]!.source.name}`).toEqual([]);
      expect(`run.${state.status}`, where).toBe(terminal[0]!.type);
      outcomes[state.status as 'completed' | 'failed' | 'cancelled']++;
      if (state.error && state.status === 'failed') failures[state.error.code] = (failures[state.error.code] ?? 0) + 1;
      expect(state.error?.code, `${where}: ${state.error?.reason}`).not.toBe('run.stuck');
      expect(endings.get(runId), where).toBe(1);

      // Each (node, attempt) is dispatched, completed and failed at most once, and never both.
      const per = new Map<string, { dispatched: number; completed: number; failed: number }>();
      for (const e of log) {
        if (e.type !== 'task.dispatched' && e.type !== 'task.completed' && e.type !== 'task.failed') continue;
        const k = `${p(e).nodeId}#${p(e).attempt}`;
        const c = per.get(k) ?? { dispatched: 0, completed: 0, failed: 0 };
        c[e.type === 'task.dispatched' ? 'dispatched' : e.type === 'task.completed' ? 'completed' : 'failed']++;
        per.set(k, c);
      }
      for (const [k, c] of per) {
        expect({ k, ...c }, where).toMatchObject({ dispatched: 1 });
        expect(c.completed + c.failed, `${where} ${k}`).toBeLessThanOrEqual(1);
      }

      // Joins fire at most once; exactly once when the run went through them.
      for (const [id, node] of wf.nodes) {
        if (node.kind !== 'join') continue;
        const fired = log.filter((e) => e.type === 'join.satisfied' && p(e).nodeId === id);
        expect(fired.length, `${where} join ${id}`).toBeLessThanOrEqual(1);
        expect(fired.length === 1, `${where} join ${id} fired ⇔ done`).toBe(state.nodes[id]!.status === 'done');
        joinsFired += fired.length;
        if (fired.length === 1 && node.config.mode === 'all') {
          const taken = (wf.in.get(id) ?? []).filter((e) => state.edges[e.id] === 'taken').map((e) => e.source);
          expect([...p(fired[0]!).arrived!].sort(), `${where} join ${id} (all) saw every live input`).toEqual(taken.sort());
        }
        if (fired.length === 1 && node.config.mode === 'quorum') expect(p(fired[0]!).arrived!.length).toBeGreaterThanOrEqual(node.config.quorum!);
      }
      if (state.status === 'completed')
        for (const id of pathTo(wf, state, p(terminal[0]!).endNodeId!)) {
          const n = state.nodes[id]!;
          expect(n.status === 'done' || (n.status === 'failed' && n.handle === 'error'), `${where}: ${id} on the path to the end is ${n.status}`).toBe(true);
        }

      // Replaying the history gives the state the engine had live; the run index agrees.
      expect(json(state), `${where}: fold of the log vs the engine's live state`).toStrictEqual(json(live.get(runId)));
      expect((await h.spine.getRun(runId))?.status, where).toBe(state.status);
    }

    const repeated = [...calls].filter(([, n]) => n > 1);
    expect(repeated, 'agent calls made more than once for the same (run, node, attempt)').toEqual([]);
    console.log(
      `randomized (${testDbKind()}, seed ${SEED}): ${expected} runs of ${WORKFLOWS} workflows ended in ${elapsed} ms ` +
        `(${outcomes.completed} completed, ${outcomes.failed} failed: ${JSON.stringify(failures)}, ${outcomes.cancelled} cancelled); ${stale} stale results re-run; ${events} events, ${joinsFired} joins fired, ${calls.size} agent calls`,
    );
  }, 600_000);
});

/** The nodes on the taken path back from `endId` to the trigger (every one must be done). */
function pathTo(wf: CompiledWorkflow, s: RunState, endId: string): string[] {
  const seen = new Set<string>();
  const stack = [endId];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of wf.in.get(id) ?? []) if (s.edges[e.id] === 'taken') stack.push(e.source);
  }
  return [...seen];
}

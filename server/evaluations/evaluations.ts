/**
 * Evaluating a candidate agent version (issue 14 §3): "re-run the last N completed runs of this workflow
 * with agent X at version v". Each origin run is forked at the event where X's first task was dispatched
 * (everything before it is reused from the record, no agent called), with X live and pinned at v
 * (`agentVersions`); agents flagged with side effects are held (server/engine/plan.ts) unless the
 * evaluation allows them, and approvals the origin decided are decided again as they were (`reuseApprovals`:
 * nobody is asked again). Forks run with bounded concurrency; each is compared with its origin when it ends
 * (results.ts) and the evaluation ends with a summary. A fork that would wait for a person (an approval its
 * origin never reached) or that does not end within `forkTimeoutMs` is cancelled and reported as it stood
 * (`waiting` / `running`), so an evaluation leaves nothing open in the approvals inbox.
 *
 * The log is the evaluation's record (key `evaluation:<id>`, source the person or key that asked):
 * - `evaluation.started` `{ evaluationId, workflowId, workflowName, agent, version, baseVersion, lastN, concurrency, allowSideEffects, origins }`
 * - `evaluation.run_compared` `{ evaluationId, row }`, one per origin, as its fork ends
 * - `evaluation.completed` `{ evaluationId, summary }`, or `evaluation.failed` `{ evaluationId, error }`
 * - `evaluation.shipped` / `evaluation.rolled_back`: the person's decision afterwards.
 * An evaluation is read back from these events alone. It runs in the process that started it and is not
 * resumed elsewhere: one that has not ended is `running` while this process runs it, or while another
 * process plausibly does (it started after this one and wrote an event within the last `forkTimeoutMs` +
 * 1 min: every fork ending writes one); otherwise it is `interrupted` (its process restarted or died), with
 * the rows it had compared: start it again.
 *
 * Everything is checked before `evaluation.started` is appended (unknown workflow or agent: 404; unknown
 * version, an agent the workflow does not call, N or concurrency out of range, no completed run: 400), so a
 * refused start writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '@/server/errors';
import { sourceOf, type Json, type Principal, type Spine, type SpineEvent } from '@/server/spine';
import { AgentName, createAgentRegistration } from '@/server/agents';
import type { EngineService } from '@/server/engine';
import { compareRuns, summarize, type EvaluationRow, type EvaluationSummary } from './results';

/** At most this many runs per evaluation. */
export const MAX_EVALUATION_RUNS = 200;
/** At most this many forks at once. */
export const MAX_EVALUATION_CONCURRENCY = 16;

export const StartEvaluationInput = z
  .object({
    /** The agent whose candidate version is evaluated. */
    agent: AgentName,
    /** The candidate: a version of the agent in the registry. */
    version: z.number().int().min(1),
    /** How many of the workflow's latest completed runs (forks left out) to re-run. @default 50 */
    lastN: z.number().int().min(1).max(MAX_EVALUATION_RUNS).default(50),
    /** Forks running at once. @default 4 */
    concurrency: z.number().int().min(1).max(MAX_EVALUATION_CONCURRENCY).default(4),
    /** Let the forks call agents flagged with side effects. @default false (they are held) */
    allowSideEffects: z.boolean().default(false),
  })
  .strict();
export type StartEvaluationInput = z.input<typeof StartEvaluationInput>;

export const EVALUATION_STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

export type EvaluationDecision = { kind: 'shipped' | 'rolled_back'; by: string; at: string; version: number };

export type EvaluationView = {
  id: string;
  workflowId: string;
  workflowName: string;
  agent: string;
  version: number;
  /** The version the origin runs used (what Roll back makes current again). */
  baseVersion: number | null;
  lastN: number;
  concurrency: number;
  allowSideEffects: boolean;
  status: EvaluationStatus;
  error: string | null;
  startedBy: string;
  startedAt: string;
  endedAt: string | null;
  /** One per origin, in the order they were picked (newest first); pending ones have `state: 'pending'`. */
  rows: (EvaluationRow | { origin: string; state: 'pending' })[];
  summary: EvaluationSummary;
  decision: EvaluationDecision | null;
};

type Started = { evaluationId: string; workflowId: string; workflowName: string; agent: string; version: number; baseVersion: number | null; lastN: number; concurrency: number; allowSideEffects: boolean; origins: string[] };

const keyOf = (id: string) => `evaluation:${id}`;
const TERMINAL = ['run.completed', 'run.failed', 'run.cancelled'];

export type Evaluations = ReturnType<typeof createEvaluations>;

/**
 * `forkTimeoutMs`: how long one fork may take before it is reported as it stands (`running`, or waiting on
 * a person). @default 5 minutes
 */
export function createEvaluations(deps: { engine: EngineService; spine: Spine; forkTimeoutMs?: number }) {
  const { engine, spine } = deps;
  const forkTimeoutMs = deps.forkTimeoutMs ?? 5 * 60_000;
  /** Evaluations running in this process. */
  const running = new Map<string, Promise<void>>();
  /** When this service began: an evaluation started before it and not running here belongs to a process that is gone. */
  const since = Date.now();
  const stopping = new AbortController();

  async function eventsOf(id: string): Promise<SpineEvent[]> {
    const out: SpineEvent[] = [];
    for (let after = 0; ; ) {
      const page = await spine.read({ after, limit: 1000, filter: { key: keyOf(id), types: ['evaluation.*'] } });
      out.push(...page);
      if (page.length < 1000) return out;
      after = page.at(-1)!.seq;
    }
  }

  /** The latest completed runs of the workflow, newest first, forks left out. */
  async function latestCompleted(workflowId: string, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let beforeSeq: number | undefined; out.length < n; ) {
      const page = await spine.listRuns({ workflowId, statuses: ['completed'], limit: 200, order: 'desc', ...(beforeSeq !== undefined && { beforeSeq }) });
      for (const r of page) {
        const started = (await spine.getEvent(r.startedSeq)).payload as { trigger?: { kind?: string } };
        if (started.trigger?.kind !== 'fork') out.push(r.id);
        if (out.length === n) break;
      }
      if (page.length < 200) break;
      beforeSeq = page.at(-1)!.startedSeq;
    }
    return out;
  }

  /**
   * The fork's events once it ends; or, when it would wait for a person or has not ended after
   * forkTimeoutMs, as they stand, the fork then cancelled (`stopped` says why).
   */
  async function untilEnd(s: Started, runId: string, by: Principal): Promise<{ events: SpineEvent[]; stopped?: { status: 'waiting' | 'running'; reason: string } }> {
    const ac = new AbortController();
    let stopped: { status: 'waiting' | 'running'; reason: string } | undefined;
    const timer = setTimeout(() => {
      stopped = { status: 'running', reason: `the fork had not ended after ${Math.round(forkTimeoutMs / 1000)} s` };
      ac.abort();
    }, forkTimeoutMs);
    // A fork being followed never holds the process open on shutdown.
    timer.unref?.();
    const stop = () => ac.abort();
    stopping.signal.addEventListener('abort', stop);
    try {
      for await (const e of spine.subscribe({ runId, fromSeq: 1, signal: ac.signal })) {
        if (TERMINAL.includes(e.type)) break;
        if (e.type !== 'approval.requested') continue;
        // A recorded decision commits with its request: still open now means a person would be asked.
        const p = e.payload as { approvalId: string; nodeId: string };
        if ((await engine.fold(runId))?.state.approvals[p.approvalId]?.status === 'pending') {
          stopped = { status: 'waiting', reason: `the fork reached approval '${p.nodeId}', which its origin never decided; nobody is asked in an evaluation` };
          break;
        }
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
      stopping.signal.removeEventListener('abort', stop);
    }
    const events = await engine.runEvents(runId);
    if (stopped && !stopping.signal.aborted) await engine.cancelRun(runId, by, `evaluation ${s.evaluationId}: ${stopped.reason}`).catch(() => undefined);
    return { events, ...(stopped && { stopped }) };
  }

  async function evaluateOne(s: Started, origin: string, by: Principal): Promise<EvaluationRow> {
    const base = { origin, fork: null, originStatus: 'completed', forkStatus: null, sameOutcome: false, changed: [], contractViolations: [], tokens: { before: 0, after: 0 }, latencyMs: { before: 0, after: 0 } };
    try {
      const events = await engine.runEvents(origin);
      const first = events.find((e) => e.type === 'task.dispatched' && (e.payload as { agent?: string }).agent === s.agent);
      if (!first) return { ...base, state: 'skipped', reason: `agent '${s.agent}' had no task in this run` };
      const fork = await engine.forkRun(origin, { atSeq: first.seq, liveAgents: [s.agent], agentVersions: { [s.agent]: s.version }, allowSideEffects: s.allowSideEffects, reuseApprovals: true }, by);
      const { events: forkEvents, stopped } = await untilEnd(s, fork.runId, by);
      const compared = compareRuns(events, forkEvents);
      return { origin, fork: fork.runId, state: 'compared', ...compared, ...(stopped && { forkStatus: stopped.status, sameOutcome: false, reason: stopped.reason }) };
    } catch (e) {
      return { ...base, state: 'error', reason: e instanceof Error ? e.message : String(e) };
    }
  }

  async function run(s: Started, by: Principal): Promise<void> {
    const source = sourceOf(by);
    const queue = [...s.origins];
    const rows: EvaluationRow[] = [];
    try {
      const worker = async () => {
        for (let origin = queue.shift(); origin !== undefined && !stopping.signal.aborted; origin = queue.shift()) {
          const row = await evaluateOne(s, origin, by);
          rows.push(row);
          await spine.append([{ type: 'evaluation.run_compared', key: keyOf(s.evaluationId), source, idempotencyKey: `${keyOf(s.evaluationId)}:run:${origin}`, payload: { evaluationId: s.evaluationId, row: row as unknown as Json } }]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(s.concurrency, s.origins.length) }, worker));
      if (stopping.signal.aborted) return;
      const ordered = s.origins.flatMap((o) => rows.filter((r) => r.origin === o));
      await spine.append([{ type: 'evaluation.completed', key: keyOf(s.evaluationId), source, idempotencyKey: `${keyOf(s.evaluationId)}:completed`, payload: { evaluationId: s.evaluationId, summary: summarize(ordered) as unknown as Json } }]);
    } catch (e) {
      if (stopping.signal.aborted) return;
      await spine
        .append([{ type: 'evaluation.failed', key: keyOf(s.evaluationId), source, idempotencyKey: `${keyOf(s.evaluationId)}:failed`, payload: { evaluationId: s.evaluationId, error: e instanceof Error ? e.message : String(e) } }])
        .catch(() => undefined);
    }
  }

  function viewOf(events: SpineEvent[]): EvaluationView {
    const started = events.find((e) => e.type === 'evaluation.started');
    if (!started) throw new NotFoundError('evaluation.not_found', 'No such evaluation');
    const s = started.payload as unknown as Started;
    const compared = new Map<string, EvaluationRow>();
    let end: SpineEvent | undefined;
    let decision: EvaluationDecision | null = null;
    for (const e of events) {
      const p = e.payload as { row?: EvaluationRow; version?: number; to?: number };
      if (e.type === 'evaluation.run_compared' && p.row) compared.set(p.row.origin, p.row);
      else if (e.type === 'evaluation.completed' || e.type === 'evaluation.failed') end ??= e;
      else if (e.type === 'evaluation.shipped') decision = { kind: 'shipped', by: e.source.name, at: e.time, version: Number(p.version) };
      else if (e.type === 'evaluation.rolled_back') decision = { kind: 'rolled_back', by: e.source.name, at: e.time, version: Number(p.to) };
    }
    const rows = s.origins.map((o) => compared.get(o) ?? { origin: o, state: 'pending' as const });
    const elsewhere = Date.parse(started.time) > since && Date.parse(events.at(-1)!.time) > Date.now() - forkTimeoutMs - 60_000;
    const status: EvaluationStatus = end ? (end.type === 'evaluation.completed' ? 'completed' : 'failed') : running.has(s.evaluationId) || elsewhere ? 'running' : 'interrupted';
    return {
      id: s.evaluationId, workflowId: s.workflowId, workflowName: s.workflowName, agent: s.agent, version: s.version, baseVersion: s.baseVersion, lastN: s.lastN, concurrency: s.concurrency,
      allowSideEffects: s.allowSideEffects, status, error: end?.type === 'evaluation.failed' ? String((end.payload as { error?: string }).error ?? '') : null,
      startedBy: started.source.name, startedAt: started.time, endedAt: end?.time ?? null, rows,
      summary: summarize([...compared.values()]), decision,
    };
  }

  async function get(id: string): Promise<EvaluationView> {
    const events = await eventsOf(id);
    if (events.length === 0) throw new NotFoundError('evaluation.not_found', `No evaluation '${id}'`, { evaluationId: id });
    return viewOf(events);
  }

  /** The registration (the agents API's), to make a version current again with the person as its author. */
  const registration = () => createAgentRegistration({ store: engine.agentStore, registry: engine.agents, spine, outputReaders: engine.agentOutputReaders });

  /** Makes `version` of `agent` current again: a new version equal to it (nothing when it is current already). */
  async function restore(agent: string, version: number, by: Principal): Promise<number> {
    const rec = await engine.agentStore.atVersion(agent, version);
    if (!rec) throw new NotFoundError('agent.not_found', `Agent '${agent}' has no version ${version}`, { agent, version });
    // Restoring a version its readers accepted before is never refused as breaking.
    const changed = await registration().change(agent, { kind: rec.kind, config: rec.config, inputSchema: rec.inputSchema ?? null, outputSchema: rec.outputSchema ?? null, limits: rec.limits ?? {}, force: true }, by);
    return changed.version;
  }

  async function decidable(id: string): Promise<EvaluationView> {
    const v = await get(id);
    if (v.status === 'running') throw new ConflictError('evaluation.running', `Evaluation '${id}' is still running; ship or roll back once it has ended`, { evaluationId: id });
    if (v.decision) throw new ConflictError('evaluation.decided', `Evaluation '${id}' was ${v.decision.kind === 'shipped' ? 'shipped' : 'rolled back'} already by ${v.decision.by}`, { evaluationId: id });
    return v;
  }

  return {
    /**
     * Starts an evaluation of `workflowId`'s last N completed runs with `agent` at `version`; answers at once
     * with its id (the forks run in the background; follow it with `get`).
     * @example const { evaluationId } = await evaluations.start('legal-case', { agent: 'summarizer', version: 3, lastN: 50 }, actor);
     */
    async start(workflowIdOrSlug: string, raw: unknown, by: Principal): Promise<{ evaluationId: string; runs: number }> {
      const parsed = StartEvaluationInput.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new ValidationError('evaluation.invalid', `${i.path.join('.') || 'body'}: ${i.message}`, { issues: parsed.error.issues.slice(0, 5) });
      }
      const o = parsed.data;
      const wf = await engine.workflows.get(workflowIdOrSlug);
      if (wf.publishedVersion === null) throw new ValidationError('evaluation.not_published', `Workflow '${wf.name}' has no published version and so no runs to evaluate`, { workflowId: wf.id });
      const agent = await engine.agentStore.get(o.agent);
      if (agent.removedAt) throw new NotFoundError('agent.not_found', `Agent '${o.agent}' was removed from the registry`, { agent: o.agent });
      if (!(await engine.agentStore.atVersion(o.agent, o.version)))
        throw new ValidationError('evaluation.unknown_version', `Agent '${o.agent}' has no version ${o.version} (its latest is v${agent.version})`, { agent: o.agent, version: o.version });
      const doc = (await engine.workflows.getVersion(wf.id, wf.publishedVersion)).document;
      if (!doc.nodes.some((n) => n.kind === 'agent' && n.config.agent === o.agent))
        throw new ValidationError('evaluation.agent_not_used', `Workflow '${wf.name}' v${wf.publishedVersion} has no step calling agent '${o.agent}'`, { workflowId: wf.id, agent: o.agent });
      const origins = await latestCompleted(wf.id, o.lastN);
      if (origins.length === 0) throw new ValidationError('evaluation.no_runs', `Workflow '${wf.name}' has no completed run to evaluate`, { workflowId: wf.id });
      // The version the newest origin dispatched the agent at: what Roll back restores.
      const dispatched = (await engine.runEvents(origins[0]!)).find((e) => e.type === 'task.dispatched' && (e.payload as { agent?: string }).agent === o.agent);
      const recorded = (dispatched?.payload as { agentVersion?: number } | undefined)?.agentVersion;
      const baseVersion = recorded !== undefined && recorded !== o.version ? recorded : o.version > 1 ? o.version - 1 : null;
      const s: Started = { evaluationId: randomUUID(), workflowId: wf.id, workflowName: wf.name, agent: o.agent, version: o.version, baseVersion, lastN: o.lastN, concurrency: o.concurrency, allowSideEffects: o.allowSideEffects, origins };
      await spine.append([{ type: 'evaluation.started', key: keyOf(s.evaluationId), source: sourceOf(by), idempotencyKey: `${keyOf(s.evaluationId)}:started`, payload: s as unknown as Json }]);
      const p = run(s, by).finally(() => running.delete(s.evaluationId));
      running.set(s.evaluationId, p);
      return { evaluationId: s.evaluationId, runs: origins.length };
    },

    /** One evaluation as its events tell it (404 for none). */
    get,

    /** The published workflows (latest version, archived left out) with a step calling `agent`: what it can be evaluated on. */
    async workflowsUsing(agent: string): Promise<{ workflowId: string; name: string; version: number }[]> {
      const out: { workflowId: string; name: string; version: number }[] = [];
      for (const w of await engine.workflows.list()) {
        if (w.publishedVersion === null) continue;
        const doc = (await engine.workflows.getVersion(w.id, w.publishedVersion)).document;
        if (doc.nodes.some((n) => n.kind === 'agent' && n.config.agent === agent)) out.push({ workflowId: w.id, name: w.name, version: w.publishedVersion });
      }
      return out;
    },

    /** The evaluations of a workflow, newest first (without their rows). */
    async list(workflowIdOrSlug: string): Promise<Omit<EvaluationView, 'rows'>[]> {
      const wf = await engine.workflows.get(workflowIdOrSlug);
      const ids: string[] = [];
      for (let after = 0; ; ) {
        const page = await spine.read({ after, limit: 1000, filter: { types: ['evaluation.started'] } });
        for (const e of page) if ((e.payload as { workflowId?: string }).workflowId === wf.id) ids.push(String((e.payload as { evaluationId: string }).evaluationId));
        if (page.length < 1000) break;
        after = page.at(-1)!.seq;
      }
      const views = await Promise.all(ids.reverse().map(get));
      return views.map(({ rows: _rows, ...v }) => v);
    },

    /** Resolves when the evaluation has ended in this process (at once when it does not run here). */
    settled: (id: string) => running.get(id) ?? Promise.resolve(),

    /** Ship: the candidate stays (or is made current again when the agent changed since); `evaluation.shipped`. */
    async ship(id: string, by: Principal): Promise<EvaluationView> {
      const v = await decidable(id);
      const current = await engine.agentStore.get(v.agent);
      const made = current.version === v.version ? current.version : await restore(v.agent, v.version, by);
      await spine.append([{ type: 'evaluation.shipped', key: keyOf(id), source: sourceOf(by), idempotencyKey: `${keyOf(id)}:decided`, payload: { evaluationId: id, agent: v.agent, version: v.version, currentVersion: made } }]);
      return get(id);
    },

    /** Roll back: the version the origins ran with becomes current again (a new version equal to it); `evaluation.rolled_back`. */
    async rollBack(id: string, by: Principal): Promise<EvaluationView> {
      const v = await decidable(id);
      if (v.baseVersion === null) throw new ConflictError('evaluation.no_base_version', `Agent '${v.agent}' has no version before v${v.version} to roll back to`, { evaluationId: id });
      const from = (await engine.agentStore.get(v.agent)).version;
      const made = await restore(v.agent, v.baseVersion, by);
      await spine.append([{ type: 'evaluation.rolled_back', key: keyOf(id), source: sourceOf(by), idempotencyKey: `${keyOf(id)}:decided`, payload: { evaluationId: id, agent: v.agent, from, to: v.baseVersion, currentVersion: made } }]);
      return get(id);
    },

    /** Stops following forks (on shutdown); the evaluations running here end as interrupted. */
    stop() {
      stopping.abort();
    },
  };
}

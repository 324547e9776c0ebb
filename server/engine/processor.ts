/**
 * The engine's I/O shell: read → fold → decide → append, per run, driven by the spine.
 *
 * - The engine subscribes to the spine (push) and routes every event to the actor of its run; a new
 *   `run.started` adopts a run; an event matching a published workflow's trigger starts one.
 * - Each run is an actor with a mailbox, so its steps are strictly serial while runs proceed in parallel.
 *   A step folds the run's new events into its state, asks decide for what comes next (looping on a draft
 *   until nothing more follows), and appends all of it in one atomic append. Only committed events change
 *   the state, and the step's own events are applied once (their seqs are remembered, so their echo from
 *   the subscription is skipped). An event that arrives below the state's last seq (an external write that
 *   committed while a step was appending) makes the actor refold from the log, so live state always equals
 *   the fold of the log in seq order.
 * - Effects follow commits: agent calls for dispatched tasks (at least once, with the attempt's
 *   idempotency key; once per attempt while the process lives, because a call counts as in flight until
 *   its actor has taken the result in) and timers for pending due instants. Agent results come back to
 *   the actor's mailbox. A run's end is handled once (timers cancelled, calls aborted, key released).
 * - Runs with the same entity key run one at a time, in the order they started (run.queued /
 *   run.key_acquired); different keys run in parallel.
 * - A run reopened after it failed (a node retried by hand) is folded from the log and gets an actor again.
 * - People's commands (cancel, context patch, approval decision) on a run this process drives go through its
 *   mailbox too (`command`), so they are judged on, and applied to, the actor's state between steps.
 * - Recovery: on start, every run the run index lists as active is folded from the log and decided again;
 *   decide is level-triggered, so whatever a crash interrupted is re-issued, and idempotency keys make the
 *   log drop anything that had already been appended.
 */
import type { AppendResult, Envelope, Json, RunStatus, Spine, SpineEvent } from '@/server/spine';
import { matchesType } from '@/server/spine/events';
import { SpineError } from '@/server/errors';
import type { AgentRegistry } from '@/server/agents/registry';
import { isNonRetryable, retryAfterOf } from '@/server/agents/errors';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import type { WorkflowStore } from '@/server/workflows/store';
import type { AgentNode } from '@/server/workflows/schema';
import { isRunEvent, type Decision, type RunEvent, type RunStarted } from './events';
import { compileWorkflow, type CompiledWorkflow } from './graph';
import { idempotencyKey } from './ids';
import { acceptResult, type TaskResult } from './primitives/handoff';
import { decide } from './run/decide';
import { applyEvent, ENGINE_SOURCE, initialState, type RunState } from './run/evolve';
import { TimerService } from './timers';

export type EngineDeps = {
  spine: Spine;
  workflows: WorkflowStore;
  agents: AgentRegistry;
  now?: () => number;
  random?: () => number;
  /** Called when any process publishes, archives or restores a workflow (scheduled triggers re-arm). */
  onPublished?: () => void;
  /** Called when a run reaches a terminal state (tests, metrics). */
  onRunEnded?: (state: RunState) => void;
};

/** An event a person's command appends (no idempotency key for a context patch). */
export type CommandEvent = Omit<Decision, 'idempotencyKey'> & { idempotencyKey?: string };
type Source = { kind: 'user' | 'system' | 'agent'; name: string };
type PersonCommand = {
  kind: 'command';
  /** Validates against the run's committed state (throw to refuse) and returns the events to append. */
  build: (state: RunState) => CommandEvent[];
  source: Source;
  /** With the append results; with null when the actor gave up the run (the caller falls back to the log). */
  done: (r: AppendResult[] | null) => void;
  fail: (err: unknown) => void;
};
type Command = { kind: 'event'; event: SpineEvent } | { kind: 'result'; result: TaskResult } | { kind: 'timer'; timerId: string } | { kind: 'kick' } | PersonCommand;

const ENGINE = { kind: 'system' as const, name: ENGINE_SOURCE };
type WorkflowVersion = Awaited<ReturnType<WorkflowStore['getVersion']>>;
const MAX_DECIDE_ROUNDS = 64;
/** Tries to start a triggered run through a transient failure before recording `trigger.failed`. */
const TRIGGER_ATTEMPTS = 6;

export function toRunEvent(e: SpineEvent): RunEvent & { key: string | null } {
  return { type: e.type, payload: e.payload, seq: e.seq, id: e.id, time: e.time, envelopeVersion: e.envelopeVersion, source: e.source, key: e.key } as RunEvent & { key: string | null };
}

export class Engine {
  private readonly actors = new Map<string, RunActor>();
  /**
   * Runs this process is starting in one commit. Their echoes from the subscription are held here until
   * the echo of the commit's last event has passed (`until`), then handed to the actor if it still runs:
   * without this, an echo arriving after a run that ended inside its first commit would re-adopt it.
   */
  private readonly starting = new Map<string, { events: SpineEvent[]; until?: number; actor?: RunActor }>();
  private readonly keyQueues = new Map<string, string[]>();
  private readonly compiled = new Map<string, Promise<CompiledWorkflow>>();
  private readonly published = new Map<string, Promise<WorkflowVersion>>();
  private readonly inflight = new Map<string, AbortController>();
  private triggers: { workflowId: string; slug: string; version: number; eventType: string }[] = [];
  private readonly abort = new AbortController();
  private readonly timers: TimerService;
  private loop?: Promise<void>;
  private offsetTimer?: NodeJS.Timeout;
  private lastSeen = 0;
  /**
   * Trigger events whose run is still being started (seq → starts in flight). The saved offset stays
   * below the oldest, so a start cut short by a crash is made again from the log after a restart (its
   * idempotency key makes that safe) instead of being lost.
   */
  private readonly pendingTriggers = new Map<number, number>();
  /** The head when this engine started: a run.started at or below it is a replay (see adopt). */
  private replayUntil = 0;
  readonly now: () => number;
  readonly random: () => number;

  constructor(readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = new TimerService((runId, timerId) => this.actors.get(runId)?.submit({ kind: 'timer', timerId }), this.now);
  }

  get spine(): Spine {
    return this.deps.spine;
  }

  /** Once stop() has begun, actors finish the step they are in and start no other. */
  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Recovers active runs from the log, then follows the spine. */
  async start(): Promise<void> {
    await this.refreshTriggers();
    const stored = await this.spine.log.loadOffset('engine');
    this.replayUntil = await this.spine.head();
    const after = stored ?? this.replayUntil;
    const active = await this.spine.listRuns({ statuses: ['running', 'waiting', 'queued'], limit: 1_000_000, order: 'asc' });
    for (const run of active) await this.recover(run.id);
    for (const actor of this.actors.values()) actor.submit({ kind: 'kick' });
    this.lastSeen = after;
    const events = this.spine.subscribe({ after, signal: this.abort.signal });
    this.loop = (async () => {
      try {
        for await (const e of events) {
          // A workflow published, archived or restored changes which events start runs: the events after
          // it are routed with the triggers it left.
          const changed = this.route(e);
          if (changed) await changed;
        }
      } catch (err) {
        if (!this.abort.signal.aborted) console.error('spine engine: subscription failed', err);
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const ac of this.inflight.values()) ac.abort(new Error('engine stopping'));
    this.timers.stop();
    clearTimeout(this.offsetTimer);
    await this.loop;
    await Promise.all([...this.actors.values()].map((a) => a.idle()));
    for (const a of this.actors.values()) a.abandon();
    await this.commitOffset();
  }

  async refreshTriggers() {
    this.published.clear();
    this.triggers = await this.deps.workflows.eventTriggers();
  }

  /**
   * The version a run of `idOrSlug` starts on when none is named: its published one. Kept in memory while
   * this engine follows the log (which is how it hears of a publish, archive or restore anywhere: each
   * re-reads the triggers and clears this); read from the database otherwise.
   */
  private publishedVersion(idOrSlug: string): Promise<WorkflowVersion> {
    if (!this.loop) return this.deps.workflows.getVersion(idOrSlug);
    let p = this.published.get(idOrSlug);
    if (!p) {
      p = this.deps.workflows.getVersion(idOrSlug);
      p.catch(() => this.published.delete(idOrSlug));
      this.published.set(idOrSlug, p);
    }
    return p;
  }

  async workflow(workflowId: string, version: number): Promise<CompiledWorkflow> {
    const k = `${workflowId}@${version}`;
    let p = this.compiled.get(k);
    if (!p) {
      p = this.deps.workflows.getVersion(workflowId, version).then((v) => compileWorkflow({ workflowId: v.workflowId, slug: v.slug, version: v.version }, v.document));
      p.catch(() => this.compiled.delete(k));
      this.compiled.set(k, p);
    }
    return p;
  }

  /** Every event of a run, in seq order. */
  async runEvents(runId: string): Promise<SpineEvent[]> {
    const out: SpineEvent[] = [];
    for (let after = 0; ; ) {
      const page = await this.spine.read({ after, limit: 1000, filter: { runId } });
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.seq;
    }
  }

  /**
   * Folds a run from the log: the same history always gives the same state. Also returns the seqs folded
   * and each agent node's latest dispatched input (a task still in flight is called again with it).
   */
  async fold(runId: string): Promise<{ state: RunState; wf: CompiledWorkflow; seqs: Set<number>; inputs: Map<string, Json> } | null> {
    const events = await this.runEvents(runId);
    const started = events.find((e) => e.type === 'run.started');
    if (!started) return null;
    const p = started.payload as RunStarted['payload'];
    const wf = await this.workflow(p.workflowId, p.version);
    const state = initialState(runId);
    const seqs = new Set<number>();
    const inputs = new Map<string, Json>();
    for (const e of events) {
      if (!isRunEvent(e)) continue;
      applyEvent(wf, state, toRunEvent(e));
      seqs.add(e.seq);
      if (e.type === 'task.dispatched') inputs.set((e.payload as { nodeId: string }).nodeId, (e.payload as { input: Json }).input);
    }
    return { state, wf, seqs, inputs };
  }

  holdsKey(state: RunState): boolean {
    if (!state.key) return true;
    return this.keyQueues.get(state.key)?.[0] === state.runId;
  }

  private enqueueKey(state: RunState) {
    if (!state.key) return;
    const q = this.keyQueues.get(state.key) ?? [];
    if (q.includes(state.runId)) return;
    const joinedAt = (id: string) => (id === state.runId ? state.keySeq : this.actors.get(id)?.state.keySeq) ?? Number.MAX_SAFE_INTEGER;
    q.push(state.runId);
    q.sort((a, b) => joinedAt(a) - joinedAt(b));
    this.keyQueues.set(state.key, q);
  }

  private releaseKey(state: RunState) {
    if (!state.key) return;
    const q = this.keyQueues.get(state.key);
    if (!q) return;
    const wasHead = q[0] === state.runId;
    const i = q.indexOf(state.runId);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.keyQueues.delete(state.key);
    else if (wasHead) this.actors.get(q[0]!)?.submit({ kind: 'kick' });
  }

  private async recover(runId: string) {
    const folded = await this.fold(runId).catch((e) => {
      console.error(`spine engine: cannot recover run ${runId}`, e);
      return null;
    });
    if (!folded || folded.state.status !== 'running') return;
    const actor = new RunActor(this, folded.wf, folded.state, folded.seqs, folded.inputs);
    this.actors.set(runId, actor);
    this.enqueueKey(folded.state);
  }

  private route(e: SpineEvent): Promise<void> | undefined {
    this.lastSeen = e.seq;
    this.scheduleOffsetCommit();
    if (e.runId) {
      const starting = this.starting.get(e.runId);
      if (starting) {
        starting.events.push(e);
        if (starting.until !== undefined && e.seq >= starting.until) this.flushStarting(e.runId);
        return;
      }
      const actor = this.actors.get(e.runId);
      if (actor) actor.submit({ kind: 'event', event: e });
      else if (e.type === 'run.started' && isEngineRun(e.payload)) void this.adopt(e);
      else if (e.type === 'run.reopened') void this.resume(e.runId);
      return;
    }
    if (e.type === 'workflow.published' || e.type === 'workflow.archived' || e.type === 'workflow.restored') {
      this.deps.onPublished?.();
      return this.refreshTriggers().catch((err: unknown) => console.error('spine engine: cannot re-read triggers', err));
    }
    if (e.source.name === ENGINE_SOURCE) return;
    for (const t of this.triggers) {
      if (matchesType(t.eventType, e.type)) void this.trigger(t, e);
    }
  }

  /**
   * Starts `t`'s workflow for a trigger event. A transient failure (the database busy or gone for a
   * moment) is retried with backoff; a permanent one (a 4xx, such as a workflow no longer published) is
   * recorded as `trigger.failed`, so the event that started nothing is visible in the log and the timeline.
   */
  private async trigger(t: (typeof this.triggers)[number], e: SpineEvent): Promise<void> {
    this.pendingTriggers.set(e.seq, (this.pendingTriggers.get(e.seq) ?? 0) + 1);
    let settled = true;
    const payload = e.payload !== null && typeof e.payload === 'object' && !Array.isArray(e.payload) ? e.payload : { value: e.payload };
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.startRun({
            workflowId: t.workflowId,
            input: e.payload,
            intent: typeof payload.intent === 'string' ? payload.intent : `${e.type}${e.key ? ` for ${e.key}` : ''}`,
            key: e.key ?? undefined,
            idempotencyKey: `trigger:${t.workflowId}:${e.id}`,
            causationId: e.id,
            startedBy: e.source.name,
            trigger: { kind: 'event', eventSeq: e.seq, eventType: e.type },
          });
          return;
        } catch (err) {
          if (this.stopping) {
            settled = false; // the saved offset stays below this event: the next start replays it
            return;
          }
          const permanent = err instanceof SpineError && err.httpStatus < 500;
          if (!permanent && attempt < TRIGGER_ATTEMPTS) {
            await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** attempt)));
            continue;
          }
          console.error(`spine engine: trigger of ${t.slug} by seq ${e.seq} failed`, err);
          const error = err instanceof SpineError ? { code: err.code, message: err.message } : { code: 'trigger.start_failed', message: err instanceof Error ? err.message : String(err) };
          await this.spine
            .append([{ type: 'trigger.failed', source: ENGINE, causationId: e.id, idempotencyKey: `trigger.failed:${t.workflowId}:${e.id}`, payload: { workflowId: t.workflowId, workflowSlug: t.slug, version: t.version, eventSeq: e.seq, eventType: e.type, error } }])
            .catch((appendErr: unknown) => console.error('spine engine: cannot record trigger.failed', appendErr));
          return;
        }
      }
    } finally {
      if (settled) {
        const left = (this.pendingTriggers.get(e.seq) ?? 1) - 1;
        if (left > 0) this.pendingTriggers.set(e.seq, left);
        else this.pendingTriggers.delete(e.seq);
        this.scheduleOffsetCommit();
      }
    }
  }

  private async adopt(e: SpineEvent) {
    const p = e.payload as RunStarted['payload'];
    const runId = e.runId!;
    if (this.actors.has(runId)) return;
    const placeholder = new RunActor(this, null, initialState(runId), new Set());
    this.actors.set(runId, placeholder);
    placeholder.submit({ kind: 'event', event: e });
    try {
      const wf = await this.workflow(p.workflowId, p.version);
      // Replaying after a restart (the offset lags the head a little): a run that has ended since is left
      // alone, rather than stepped through its history again, calling its agents and reporting its end twice.
      if (e.seq <= this.replayUntil && isTerminal((await this.spine.getRun(runId))?.status)) {
        if (this.actors.get(runId) === placeholder) this.actors.delete(runId);
        placeholder.abandon();
        return;
      }
      placeholder.setWorkflow(wf);
    } catch (err) {
      console.error(`spine engine: run ${runId} names an unknown workflow version`, err);
      this.actors.delete(runId);
      placeholder.abandon();
    }
  }

  /**
   * A run that had ended and was reopened (a failed node retried by hand) gets an actor again. The actor is
   * in place before the fold is read, so events arriving meanwhile wait in its mailbox.
   */
  private async resume(runId: string) {
    const actor = new RunActor(this, null, initialState(runId), new Set());
    this.actors.set(runId, actor);
    const folded = await this.fold(runId).catch((err) => {
      console.error(`spine engine: cannot resume run ${runId}`, err);
      return null;
    });
    if (!folded || folded.state.status !== 'running') {
      if (this.actors.get(runId) === actor) this.actors.delete(runId);
      actor.abandon();
      return;
    }
    actor.resume(folded.wf, folded.state, folded.seqs, folded.inputs);
    this.enqueueKey(folded.state);
    actor.submit({ kind: 'kick' });
  }

  /** Called by an actor after each committed step. */
  afterCommit(actor: RunActor, adoptedNow: boolean) {
    const s = actor.state;
    if (adoptedNow) this.enqueueKey(s);
    if (s.status !== 'running') {
      // Echoes of the final step may still be in the mailbox: the end is handled once, by the actor in charge.
      if (this.actors.get(s.runId) !== actor) return;
      this.timers.cancelRun(s.runId);
      for (const [key, ac] of this.inflight) {
        if (!key.startsWith(`${s.runId}:`)) continue;
        ac.abort(new Error('run ended'));
        this.inflight.delete(key);
      }
      this.actors.delete(s.runId);
      this.releaseKey(s);
      this.deps.onRunEnded?.(s);
      return;
    }
    for (const [timerId, t] of Object.entries(s.timers)) this.timers.arm(s.runId, timerId, t.dueAt);
    for (const [nodeId, ns] of Object.entries(s.nodes)) {
      if (ns.status !== 'running' || ns.failure || ns.redispatch || ns.attempt < 1) continue;
      const node = actor.wf!.nodes.get(nodeId);
      if (node?.kind === 'agent') this.dispatch(actor, node, ns.attempt);
    }
  }

  private dispatch(actor: RunActor, node: AgentNode, attempt: number) {
    const s = actor.state;
    const key = idempotencyKey({ runId: s.runId, nodeId: node.id, attempt });
    if (this.inflight.has(key)) return;
    const ac = new AbortController();
    this.inflight.set(key, ac);
    const timeout = setTimeout(() => ac.abort(new AgentTimeout(node.config.timeoutMs)), node.config.timeoutMs);
    const started = this.now();
    const ns = s.nodes[node.id]!;
    const input = (actor.dispatchedInput(node.id) ?? s.input) as Json;
    void (async () => {
      let result: TaskResult;
      try {
        const { agent, adapter } = await this.deps.agents.resolve(node.config.agent);
        const envelope = agent.kind === 'builtin' ? mirrorEnvelope(s) : await this.spine.envelope(s.runId);
        const output = await adapter.invoke(agent, { runId: s.runId, nodeId: node.id, attempt, idempotencyKey: key, input, envelope, event: { seq: ns.dispatchSeq ?? 0, id: ns.dispatchId ?? '', type: 'task.dispatched' } }, ac.signal);
        result = { ok: true, nodeId: node.id, attempt, output: output ?? null, envelopeVersion: envelope.version, durationMs: this.now() - started };
      } catch (err) {
        if (this.abort.signal.aborted || (ac.signal.aborted && !(ac.signal.reason instanceof AgentTimeout))) {
          if (this.inflight.get(key) === ac) this.inflight.delete(key);
          return;
        }
        const timedOut = ac.signal.reason instanceof AgentTimeout;
        const retryAfterMs = retryAfterOf(err);
        result = {
          ok: false, nodeId: node.id, attempt, durationMs: this.now() - started,
          error: timedOut ? `timed out after ${node.config.timeoutMs} ms` : err instanceof Error ? err.message : String(err),
          errorKind: timedOut ? 'timeout' : isNonRetryable(err) ? 'non_retryable' : 'error',
          retryable: !isNonRetryable(err),
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      } finally {
        clearTimeout(timeout);
      }
      // The call stays in flight until its actor has taken the result in (resultTaken): a step that ends
      // in between must not see the node running with no call out and dispatch the same attempt again.
      const actor = this.actors.get(s.runId);
      if (actor) actor.submit({ kind: 'result', result });
      else if (this.inflight.get(key) === ac) this.inflight.delete(key);
    })();
  }

  /** The actor has folded an agent's result into its step: the attempt is no longer in flight. */
  resultTaken(runId: string, r: TaskResult) {
    this.inflight.delete(idempotencyKey({ runId, nodeId: r.nodeId, attempt: r.attempt }));
  }

  /**
   * Appends run.started for a published workflow (whatever its trigger). With an idempotency key seen
   * before, returns the original run instead.
   */
  async startRun(req: {
    workflowId: string; version?: number; input?: Json; intent?: string; constraints?: Record<string, Json>; deadline?: string;
    key?: string; idempotencyKey?: string; causationId?: string; startedBy: string; trigger?: RunStarted['payload']['trigger'];
  }): Promise<{ runId: string; duplicate: boolean }> {
    const v = req.version === undefined ? await this.publishedVersion(req.workflowId) : await this.deps.workflows.getVersion(req.workflowId, req.version);
    const runId = crypto.randomUUID();
    const payload: RunStarted['payload'] = {
      workflowId: v.workflowId, workflowSlug: v.slug, version: v.version, input: req.input ?? {}, startedBy: req.startedBy,
      trigger: req.trigger ?? { kind: 'api' },
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.constraints !== undefined && { constraints: req.constraints }),
      ...(req.deadline !== undefined && { deadline: req.deadline }),
      state: {},
    };
    // Leading here, no idempotency key to resolve, entity key free: start and take every first step that
    // needs no waiting in the same commit as run.started.
    if (this.loop && !this.stopping && req.idempotencyKey === undefined && (!req.key || !this.keyQueues.has(req.key)))
      return this.startInOneCommit(runId, payload, req);
    const [r] = await this.spine.append([{
      type: 'run.started', runId, payload: payload as unknown as Json, source: req.trigger?.kind === 'event' ? ENGINE : { kind: 'user', name: req.startedBy },
      ...(req.key !== undefined && { key: req.key }),
      ...(req.idempotencyKey !== undefined && { idempotencyKey: `run:${req.idempotencyKey}` }),
      ...(req.causationId !== undefined && { causationId: req.causationId }),
    }]);
    if (!r!.duplicate) return { runId, duplicate: false };
    const original = await this.spine.getEvent(r!.seq);
    return { runId: original.runId!, duplicate: true };
  }

  private async startInOneCommit(runId: string, payload: RunStarted['payload'], req: { key?: string; causationId?: string; startedBy: string; trigger?: RunStarted['payload']['trigger'] }): Promise<{ runId: string; duplicate: boolean }> {
    const wf = await this.workflow(payload.workflowId, payload.version);
    const now = this.now();
    const source = req.trigger?.kind === 'event' ? ENGINE : { kind: 'user' as const, name: req.startedBy };
    const draft = initialState(runId);
    applyEvent(wf, draft, { type: 'run.started', payload, seq: 1, time: new Date(now).toISOString(), envelopeVersion: 1, source, key: req.key ?? null } as RunEvent & { key: string | null });
    const decisions = planDecisions(this, wf, draft, [], now, true);
    const inputs = [
      { type: 'run.started', runId, payload: payload as unknown as Json, source, ...(req.key !== undefined && { key: req.key }), ...(req.causationId !== undefined && { causationId: req.causationId }) },
      ...decisions.map((d) => ({ type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source: d.type === 'task.completed' || d.type === 'task.failed' ? { kind: 'agent' as const, name: agentOf(wf, d) } : ENGINE, ...(d.key && { key: d.key }) })),
    ];
    const entry: { events: SpineEvent[]; until?: number; actor?: RunActor } = { events: [] };
    this.starting.set(runId, entry);
    try {
      const results = await this.spine.append(inputs);
      const actor = new RunActor(this, wf, initialState(runId), new Set());
      actor.adoptCommitted(results.map((r, i) => ({
        seq: r.seq, id: r.id, type: inputs[i]!.type, key: req.key ?? null, runId, causationId: i === 0 ? (req.causationId ?? null) : null, source: inputs[i]!.source,
        time: r.time ?? new Date(now).toISOString(), envelopeVersion: r.envelopeVersion ?? null, payload: inputs[i]!.payload as Json, idempotencyKey: null, prevHash: '', hash: '',
      })));
      this.actors.set(runId, actor);
      entry.actor = actor;
      entry.until = results[results.length - 1]!.seq;
      this.afterCommit(actor, true);
      if (this.lastSeen >= entry.until) this.flushStarting(runId);
    } catch (e) {
      this.starting.delete(runId);
      throw e;
    }
    return { runId, duplicate: false };
  }

  private flushStarting(runId: string) {
    const entry = this.starting.get(runId);
    this.starting.delete(runId);
    if (entry?.actor && this.actors.get(runId) === entry.actor) for (const e of entry.events) entry.actor.submit({ kind: 'event', event: e });
  }

  /**
   * Runs a person's command (cancel, context patch, approval decision) in the run's mailbox, so it never
   * interleaves with a step: it is validated against the state the actor has committed, appended, and
   * applied before the next step decides anything. A cancellation can then not be overtaken by the engine
   * completing the run on an older state, nor a patch by a result judged on the state before it. Resolves
   * with null when no actor of this process runs the run (it ended, or another process leads the engine):
   * the caller validates against the log's fold instead.
   */
  command(runId: string, build: PersonCommand['build'], source: Source): Promise<AppendResult[] | null> {
    const actor = this.actors.get(runId);
    if (!actor || this.stopping) return Promise.resolve(null);
    return new Promise((done, fail) => actor.submit({ kind: 'command', build, source, done, fail }));
  }

  /** Appends decisions made outside the engine's own loop (API commands). */
  appendFacts(decisions: Decision[], source: { kind: 'user' | 'system' | 'agent'; name: string }, runId: string) {
    return this.spine.append(decisions.map((d) => ({ type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source, ...(d.key && { key: d.key }) })));
  }

  private scheduleOffsetCommit() {
    if (this.offsetTimer) return;
    this.offsetTimer = setTimeout(() => {
      this.offsetTimer = undefined;
      void this.commitOffset();
    }, 250);
    this.offsetTimer.unref?.();
  }

  private async commitOffset() {
    let offset = this.lastSeen;
    for (const seq of this.pendingTriggers.keys()) offset = Math.min(offset, seq - 1);
    if (offset > 0) await this.spine.log.saveOffset('engine', offset, {}).catch(() => undefined);
  }

  /** Runs a zero-latency builtin agent synchronously for a dispatch decision; undefined when not inline. */
  runInline(draft: RunState, d: Decision): TaskResult | undefined {
    const p = d.payload as { nodeId: string; attempt: number; agent: string; input: Json; idempotencyKey: string };
    const agent = this.deps.agents.peek(p.agent);
    if (!agent || !BuiltinAdapter.runsInline(agent)) return undefined;
    const started = this.now();
    const envelope = mirrorEnvelope(draft);
    try {
      const output = this.deps.agents.builtin.runInline(agent, { runId: draft.runId, nodeId: p.nodeId, attempt: p.attempt, idempotencyKey: p.idempotencyKey, input: p.input, envelope, event: { seq: 0, id: '', type: 'task.dispatched' } });
      return { ok: true, nodeId: p.nodeId, attempt: p.attempt, output: output ?? null, envelopeVersion: envelope.version, durationMs: this.now() - started };
    } catch (err) {
      const retryAfterMs = retryAfterOf(err);
      return {
        ok: false, nodeId: p.nodeId, attempt: p.attempt, durationMs: this.now() - started,
        error: err instanceof Error ? err.message : String(err), errorKind: isNonRetryable(err) ? 'non_retryable' : 'error', retryable: !isNonRetryable(err),
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      };
    }
  }

  /** The in-memory state of an active run (undefined once it ended or before adoption). */
  activeState(runId: string): RunState | undefined {
    return this.actors.get(runId)?.state;
  }

  get activeRuns(): number {
    return this.actors.size;
  }
}

class AgentTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

function isTerminal(status: RunStatus | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

function isEngineRun(p: Json): boolean {
  return p !== null && typeof p === 'object' && !Array.isArray(p) && typeof p.workflowId === 'string' && typeof p.version === 'number';
}

export function mirrorEnvelope(s: RunState): Envelope {
  return { runId: s.runId, intent: s.intent, constraints: s.constraints, deadline: s.deadline, state: s.state, version: s.envelopeVersion, history: { entries: [], omitted: 0 } };
}

/** One run's mailbox and state. Steps are serial; see the file header for the rules. */
export class RunActor {
  private inbox: Command[] = [];
  private running?: Promise<void>;
  private adopted: boolean;

  constructor(
    private readonly engine: Engine,
    public wf: CompiledWorkflow | null,
    public state: RunState,
    private applied: Set<number>,
    /** Each agent node's latest dispatched input: what a re-dispatch of the same attempt sends again. */
    private inputs = new Map<string, Json>(),
  ) {
    this.adopted = applied.size > 0;
  }

  setWorkflow(wf: CompiledWorkflow) {
    this.wf = wf;
    this.pump();
  }

  /** Takes over a run folded from the log (a reopened run); its mailbox may already hold newer events. */
  resume(wf: CompiledWorkflow, state: RunState, applied: Set<number>, inputs: Map<string, Json>) {
    this.state = state;
    this.applied = applied;
    this.inputs = inputs;
    this.adopted = true;
    this.wf = wf;
  }

  submit(c: Command) {
    this.inbox.push(c);
    this.pump();
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Hands pending commands back to their callers (this actor will not step again). */
  abandon() {
    for (const c of this.inbox.splice(0)) if (c.kind === 'command') c.done(null);
  }

  dispatchedInput(nodeId: string): Json | undefined {
    return this.inputs.get(nodeId);
  }

  private pump() {
    if (this.running || !this.wf || this.engine.stopping) return;
    this.running = (async () => {
      try {
        while (this.inbox.length > 0 && this.wf && !this.engine.stopping) {
          const batch = this.inbox.splice(0);
          await this.step(batch);
        }
      } catch (err) {
        console.error(`spine engine: step of run ${this.state.runId} failed`, err);
      } finally {
        this.running = undefined;
        if (this.inbox.length > 0) this.pump();
      }
    })();
  }

  /** Events this process committed for a run it started in one commit. */
  adoptCommitted(events: SpineEvent[]) {
    for (const e of events) this.apply(e);
    this.adopted = true;
  }

  private async runCommand(c: PersonCommand) {
    let events: CommandEvent[];
    try {
      if (this.state.startedSeq === 0) return c.done(null);
      events = c.build(this.state);
    } catch (err) {
      return c.fail(err);
    }
    let results: AppendResult[];
    try {
      results = await this.engine.spine.append(events.map((d) => ({ type: d.type, runId: this.state.runId, payload: d.payload, source: c.source, ...(d.idempotencyKey && { idempotencyKey: d.idempotencyKey }), ...(d.key && { key: d.key }) })));
    } catch (err) {
      return c.fail(err);
    }
    results.forEach((r, i) => {
      const d = events[i]!;
      if (r.duplicate || this.applied.has(r.seq) || r.seq < this.state.lastSeq) return;
      this.apply({ seq: r.seq, id: r.id, type: d.type, key: d.key ?? null, runId: this.state.runId, causationId: null, source: c.source, time: r.time ?? new Date(this.engine.now()).toISOString(), envelopeVersion: r.envelopeVersion ?? null, payload: d.payload, idempotencyKey: d.idempotencyKey ?? null, prevHash: '', hash: '' });
    });
    c.done(results);
  }

  private apply(e: SpineEvent) {
    applyEvent(this.wf!, this.state, toRunEvent(e));
    this.applied.add(e.seq);
    if (e.type === 'task.dispatched') {
      const p = e.payload as { nodeId: string; input: Json };
      this.inputs.set(p.nodeId, p.input);
    }
  }

  private async step(batch: Command[]) {
    const wf = this.wf!;
    const wasAdopted = this.adopted;
    let refold = false;
    let changed = false;
    for (const c of batch) {
      if (c.kind === 'result') this.engine.resultTaken(this.state.runId, c.result);
      if (c.kind !== 'event') changed = true;
      if (c.kind !== 'event' || !isRunEvent(c.event)) continue;
      const e = c.event;
      if (this.applied.has(e.seq)) continue;
      changed = true;
      if (e.seq < this.state.lastSeq) refold = true;
      else this.apply(e);
    }
    // Only echoes of this actor's own commits: the state is what the last step left, and that step decided
    // until nothing followed, so deciding again would find nothing.
    if (!changed && wasAdopted) return;
    if (refold) {
      const folded = await this.engine.fold(this.state.runId);
      if (folded) {
        this.state = folded.state;
        this.applied = folded.seqs;
        this.inputs = folded.inputs;
      }
    }
    for (const c of batch) if (c.kind === 'command') await this.runCommand(c);
    if (this.state.startedSeq > 0) this.adopted = true;
    if (this.state.status !== 'running' || this.state.startedSeq === 0) {
      if (this.state.startedSeq > 0) this.engine.afterCommit(this, !wasAdopted);
      return;
    }
    if (!wasAdopted) this.engine.afterCommit(this, true);

    const now = this.engine.now();
    const basis = { seq: this.state.lastSeq, version: this.state.envelopeVersion };
    const ctx = (state: RunState) => ({ wf, state, now, random: this.engine.random, holdsKey: this.engine.holdsKey(this.state), basis });
    const decisions: Decision[] = [];
    for (const c of batch) {
      if (c.kind === 'result') {
        const node = wf.nodes.get(c.result.nodeId);
        if (node?.kind === 'agent') decisions.push(...acceptResult(ctx(this.state), node, c.result));
      } else if (c.kind === 'timer' && this.state.timers[c.timerId]) {
        decisions.push({ type: 'timer.fired', payload: { timerId: c.timerId }, idempotencyKey: `engine:${this.state.runId}:timer.fired:${c.timerId}`, ...(this.state.key && { key: this.state.key }) });
      }
    }
    const draft = structuredClone(this.state);
    decisions.splice(0, decisions.length, ...planDecisions(this.engine, wf, draft, decisions, now, this.engine.holdsKey(this.state)));
    if (decisions.length === 0) {
      this.engine.afterCommit(this, false);
      return;
    }
    const results = await this.engine.spine.append(decisions.map((d) => ({
      type: d.type, runId: this.state.runId, payload: d.payload, idempotencyKey: d.idempotencyKey,
      source: d.type === 'task.completed' || d.type === 'task.failed' ? { kind: 'agent' as const, name: agentOf(wf, d) } : ENGINE,
      ...(d.key && { key: d.key }),
    })));
    results.forEach((r, i) => {
      if (r.duplicate || this.applied.has(r.seq)) return;
      const d = decisions[i]!;
      const source = d.type === 'task.completed' || d.type === 'task.failed' ? { kind: 'agent' as const, name: agentOf(wf, d) } : ENGINE;
      if (r.seq < this.state.lastSeq) return; // an external event slipped in between; the next step refolds
      this.apply({ seq: r.seq, id: r.id, type: d.type, key: d.key ?? null, runId: this.state.runId, causationId: null, source, time: r.time ?? new Date(now).toISOString(), envelopeVersion: r.envelopeVersion ?? null, payload: d.payload, idempotencyKey: d.idempotencyKey, prevHash: '', hash: '' });
    });
    this.engine.afterCommit(this, false);
  }
}

/**
 * The decide loop of one step, on a draft of the run's state: applies `seed` (results, timers), then asks
 * decide for what follows until nothing does, running zero-latency builtin agents inline so their results
 * join the same commit. Returns every decision, in order; the draft is left as if they had committed.
 */
function planDecisions(engine: Engine, wf: CompiledWorkflow, draft: RunState, seed: Decision[], now: number, holdsKey: boolean): Decision[] {
  const decisions: Decision[] = [];
  const seen = new Set<string>();
  let fakeSeq = draft.lastSeq;
  // Dispatches record the committed state they were decided on (staleness is judged from it), not the
  // draft's provisional seqs.
  const ctx = { wf, state: draft, now, random: engine.random, holdsKey, basis: { seq: draft.lastSeq, version: draft.envelopeVersion } };
  const provisional = (d: Decision) => {
    seen.add(d.idempotencyKey);
    decisions.push(d);
    const version = d.type === 'context.patched' ? draft.envelopeVersion + 1 : draft.envelopeVersion;
    applyEvent(wf, draft, { type: d.type, payload: d.payload, seq: ++fakeSeq, time: new Date(now).toISOString(), envelopeVersion: version, source: ENGINE } as RunEvent);
  };
  seed.forEach(provisional);
  for (let round = 0; round < MAX_DECIDE_ROUNDS; round++) {
    const next = decide(ctx).filter((d) => !seen.has(d.idempotencyKey));
    if (next.length === 0) break;
    for (const d of next) {
      provisional(d);
      if (d.type !== 'task.dispatched') continue;
      const result = engine.runInline(draft, d);
      const node = result && wf.nodes.get(result.nodeId);
      if (result && node?.kind === 'agent') for (const r of acceptResult(ctx, node, result)) if (!seen.has(r.idempotencyKey)) provisional(r);
    }
  }
  return decisions;
}

function agentOf(wf: CompiledWorkflow, d: Decision): string {
  const nodeId = (d.payload as { nodeId?: string }).nodeId;
  const node = nodeId ? wf.nodes.get(nodeId) : undefined;
  return node?.kind === 'agent' ? node.config.agent : ENGINE_SOURCE;
}

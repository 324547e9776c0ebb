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
import { ENGINE_SOURCE, isEngineSource, newEventId, type AppendInput, type AppendResult, type Envelope, type Json, type RunStatus, type Spine, type SpineEvent } from '@/server/spine';
import { matchesType } from '@/server/spine/events';
import { isSpineError, SpineError } from '@/server/errors';
import type { AgentRegistry } from '@/server/agents/registry';
import { isNonRetryable, NonRetryableAgentError, retryAfterOf } from '@/server/agents/errors';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import type { WorkflowStore } from '@/server/workflows/store';
import type { AgentNode } from '@/server/workflows/schema';
import { isRunEvent, type Decision, type RunEvent, type RunStarted } from './events';
import { compileWorkflow, type CompiledWorkflow } from './graph';
import { idempotencyKey } from './ids';
import { acceptResult, type TaskResult } from './primitives/handoff';
import { decide, wantsKey } from './run/decide';
import { applyEvent, initialState, type RunState } from './run/evolve';
import { causeOf, decision as decisionOf, failRun, type DecideContext } from './primitives/context';
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
type Source = { kind: 'user' | 'apiKey' | 'system' | 'agent'; name: string };
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

const ENGINE = ENGINE_SOURCE;
/** A step that fails for a reason outside the run (the database gone for a moment) is tried again this often. */
const STEP_ATTEMPTS = 5;
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

  /** The run first in line for the state's entity key (what a queued run waits behind). */
  keyHolder(state: RunState): string | undefined {
    return state.key ? this.keyQueues.get(state.key)?.[0] : undefined;
  }

  /**
   * Lines a run up for its key: in the order runs joined (start or reopening), behind any run that holds
   * the key now. A run that released its key (it waits on a person) is not in line until it has work again.
   */
  enqueueKey(state: RunState) {
    if (!state.key || state.gate === 'released') return;
    const q = this.keyQueues.get(state.key) ?? [];
    if (q.includes(state.runId)) return;
    const of = (id: string) => (id === state.runId ? state : this.actors.get(id)?.state);
    const place = (id: string) => [of(id)?.gate === 'open' ? 0 : 1, of(id)?.keySeq ?? Number.MAX_SAFE_INTEGER] as const;
    q.push(state.runId);
    q.sort((a, b) => {
      const [ha, sa] = place(a);
      const [hb, sb] = place(b);
      return ha - hb || sa - sb;
    });
    this.keyQueues.set(state.key, q);
  }

  releaseKey(state: RunState) {
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
    // The engine's own events start nothing; no client can write as the engine (server/spine/publishing.ts).
    if (isEngineSource(e.source)) return;
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
      if (!isSpineError(err) || err.httpStatus >= 500) return;
      // Nothing can run it: say so in the log rather than leave it running forever.
      const reason = `the run names workflow ${p.workflowId} version ${p.version}, which cannot be loaded: ${err instanceof Error ? err.message : String(err)}`;
      await this.spine
        .append([{ type: 'run.failed', runId, source: ENGINE, causationId: e.id, idempotencyKey: `engine:${runId}:run.failed:failed`, payload: { code: 'workflow.unavailable', reason }, ...(e.key && { key: e.key }) }])
        .catch((appendErr: unknown) => console.error(`spine engine: cannot record the failure of run ${runId}`, appendErr));
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
    // Waiting on a person or a delay: the next run on the key goes first (key hold `working`).
    if (s.gate === 'released') this.releaseKey(s);
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
        // An agent that is not registered (or has no adapter) will not appear by retrying: the task fails for good.
        const { agent, adapter } = await this.deps.agents.resolve(node.config.agent).catch((e: unknown) => {
          throw new NonRetryableAgentError(e instanceof Error ? e.message : String(e), { cause: e });
        });
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
    key?: string; idempotencyKey?: string; causationId?: string; startedBy: string; startedByKind?: Source['kind']; trigger?: RunStarted['payload']['trigger'];
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
      type: 'run.started', runId, payload: payload as unknown as Json, source: startSource(req),
      ...(req.key !== undefined && { key: req.key }),
      ...(req.idempotencyKey !== undefined && { idempotencyKey: `run:${req.idempotencyKey}` }),
      ...(req.causationId !== undefined && { causationId: req.causationId }),
    }]);
    if (!r!.duplicate) return { runId, duplicate: false };
    const original = await this.spine.getEvent(r!.seq);
    return { runId: original.runId!, duplicate: true };
  }

  private async startInOneCommit(runId: string, payload: RunStarted['payload'], req: StartRequest): Promise<{ runId: string; duplicate: boolean }> {
    const wf = await this.workflow(payload.workflowId, payload.version);
    const now = this.now();
    const source = startSource(req);
    const startedId = newEventId();
    const draft = initialState(runId);
    applyEvent(wf, draft, { type: 'run.started', id: startedId, payload, seq: 1, time: new Date(now).toISOString(), envelopeVersion: 1, source, key: req.key ?? null } as RunEvent & { key: string | null });
    const { decisions, more } = planDecisions(this, wf, draft, [], now, { holdsKey: true });
    // Every dispatch of this commit was decided on the state as of run.started: the log writes its real seq
    // into basedOnSeq (the draft only had a placeholder).
    const inputs: AppendInput[] = [
      { type: 'run.started', id: startedId, runId, payload: payload as unknown as Json, source, ...(req.key !== undefined && { key: req.key }), ...(req.causationId !== undefined && { causationId: req.causationId }) },
      ...decisionInputs(wf, runId, decisions, { basedOnIndex: 0 }),
    ];
    const entry: { events: SpineEvent[]; until?: number; actor?: RunActor } = { events: [] };
    this.starting.set(runId, entry);
    let results: AppendResult[];
    try {
      results = await this.spine.append(inputs);
    } catch (e) {
      this.starting.delete(runId);
      // A first step the log refuses (a mapped input over the payload limit) must not refuse the start: the
      // run starts alone, and its actor records that step's failure like any other.
      if (isSpineError(e) && e.httpStatus < 500 && Number((e.details as { index?: number } | undefined)?.index) > 0) return this.startAlone(runId, payload, req);
      throw e;
    }
    const actor = new RunActor(this, wf, initialState(runId), new Set());
    actor.adoptCommitted(results.map((r, i) => committed(inputs[i]!, r, runId, now, results[0]!.seq)));
    this.actors.set(runId, actor);
    entry.actor = actor;
    entry.until = results[results.length - 1]!.seq;
    this.afterCommit(actor, true);
    if (more) actor.submit({ kind: 'kick' });
    if (this.lastSeen >= entry.until) this.flushStarting(runId);
    return { runId, duplicate: false };
  }

  /** run.started on its own; the engine adopts the run when the event comes back from the spine. */
  private async startAlone(runId: string, payload: RunStarted['payload'], req: StartRequest) {
    await this.spine.append([{ type: 'run.started', runId, payload: payload as unknown as Json, source: startSource(req), ...(req.key !== undefined && { key: req.key }), ...(req.causationId !== undefined && { causationId: req.causationId }) }]);
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
  appendFacts(decisions: Decision[], source: Source, runId: string) {
    return this.spine.append(decisions.map((d) => ({ type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source, ...(d.causationId && { causationId: d.causationId }), ...(d.key && { key: d.key }) })));
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

/** A run started by a trigger event is the engine's act; any other start is the person's or key's who asked. */
type StartRequest = { key?: string; causationId?: string; startedBy: string; startedByKind?: Source['kind']; trigger?: RunStarted['payload']['trigger'] };

function startSource(req: StartRequest): AppendInput['source'] {
  return req.trigger?.kind === 'event' ? ENGINE : { kind: req.startedByKind ?? 'user', name: req.startedBy };
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
  private stepFailures = 0;

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
          this.stepFailures = 0;
        }
      } catch (err) {
        this.stepFailed(err);
      } finally {
        this.running = undefined;
        if (this.inbox.length > 0) this.pump();
      }
    })();
  }

  /**
   * A step threw (the database unavailable for a moment, or a fault in the engine): it is taken again after
   * a backoff, since decide is level-triggered; after STEP_ATTEMPTS the run fails with the error as its
   * reason instead of staying "running" with nothing happening.
   */
  private stepFailed(err: unknown) {
    this.stepFailures += 1;
    console.error(`spine engine: step ${this.stepFailures} of run ${this.state.runId} failed`, err);
    if (this.engine.stopping || this.state.startedSeq === 0) return;
    if (this.stepFailures < STEP_ATTEMPTS) {
      setTimeout(() => this.submit({ kind: 'kick' }), Math.min(5_000, 100 * 2 ** this.stepFailures)).unref?.();
      return;
    }
    const reason = `the engine could not take the run's next step: ${err instanceof Error ? err.message : String(err)}`;
    const c = { wf: this.wf!, state: this.state, now: this.engine.now(), random: this.engine.random, holdsKey: true };
    this.engine.spine
      .append(decisionInputs(this.wf!, this.state.runId, [failRun(c, 'engine.step_failed', reason)]))
      .catch((appendErr: unknown) => console.error(`spine engine: cannot record the failure of run ${this.state.runId}`, appendErr));
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
    const inputs = commandInputs(this.state, events, c.source);
    let results: AppendResult[];
    try {
      results = await this.engine.spine.append(inputs);
    } catch (err) {
      return c.fail(err);
    }
    results.forEach((r, i) => {
      if (r.duplicate || this.applied.has(r.seq) || r.seq < this.state.lastSeq) return;
      this.apply(committed(inputs[i]!, r, this.state.runId, this.engine.now()));
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
    // A run that released its key lines up again once it has work (its approval decided, its delay over).
    if (this.state.gate === 'released' && wantsKey({ wf, state: this.state, now, random: this.engine.random, holdsKey: false })) this.engine.enqueueKey({ ...this.state, gate: 'queued' });
    const key = { holdsKey: this.engine.holdsKey(this.state), keyHolder: this.engine.keyHolder(this.state) };
    const ctx = (state: RunState): DecideContext => ({ wf, state, now, random: this.engine.random, ...key, basis });
    const decisions: Decision[] = [];
    for (const c of batch) {
      if (c.kind === 'result') {
        const node = wf.nodes.get(c.result.nodeId);
        if (node?.kind === 'agent') decisions.push(...outputCausedByResult(acceptResult(ctx(this.state), node, c.result)));
      } else if (c.kind === 'timer' && this.state.timers[c.timerId]) {
        const causationId = causeOf(this.state, { timerId: c.timerId });
        decisions.push({ type: 'timer.fired', payload: { timerId: c.timerId }, idempotencyKey: `engine:${this.state.runId}:timer.fired:${c.timerId}`, ...(causationId && { causationId }), ...(this.state.key && { key: this.state.key }) });
      }
    }
    const draft = structuredClone(this.state);
    const planned = planDecisions(this.engine, wf, draft, decisions, now, key);
    decisions.splice(0, decisions.length, ...planned.decisions);
    if (decisions.length === 0) {
      this.engine.afterCommit(this, false);
      return;
    }
    const { inputs, results, cut } = await this.appendOrSubstitute(ctx(this.state), decisions);
    results.forEach((r, i) => {
      if (r.duplicate || this.applied.has(r.seq)) return;
      if (r.seq < this.state.lastSeq) return; // an external event slipped in between; the next step refolds
      this.apply(committed(inputs[i]!, r, this.state.runId, now));
    });
    this.engine.afterCommit(this, false);
    // Decisions after a refused one were made on a draft that never committed, and a capped step left some
    // undecided: decide again on what did commit.
    if (cut || planned.more) this.submit({ kind: 'kick' });
  }

  /**
   * Appends a step's decisions. When the log refuses one for what it is (over the payload limit, invalid),
   * the decisions before it are kept, it is replaced by the failure it amounts to (substituteFor), and the
   * rest is dropped to be decided again: the step always ends in a recorded fact.
   */
  private async appendOrSubstitute(c: DecideContext, decisions: Decision[]): Promise<{ inputs: AppendInput[]; results: AppendResult[]; cut: boolean }> {
    let batch = decisions;
    let cut = false;
    for (let attempt = 0; ; attempt++) {
      const inputs = decisionInputs(c.wf, this.state.runId, batch);
      try {
        return { inputs, results: await this.engine.spine.append(inputs), cut };
      } catch (err) {
        if (!isSpineError(err) || err.httpStatus >= 500 || attempt >= 2) throw err;
        const index = Number((err.details as { index?: number } | undefined)?.index ?? 0);
        const refused = batch[index];
        if (!refused) throw err;
        console.warn(`spine engine: run ${this.state.runId}: ${refused.type} refused by the log (${err.code}); recording the failure instead`);
        batch = attempt === 0 ? [...batch.slice(0, index), ...substituteFor(c, refused, err)] : [{ ...failRun(c, err.code, `the engine could not record its next step: ${err.message}`), id: newEventId() }];
        cut = true;
      }
    }
  }
}

/**
 * The decide loop of one step, on a draft of the run's state: applies `seed` (results, timers), then asks
 * decide for what follows until nothing does, running zero-latency builtin agents inline so their results
 * join the same commit. Returns every decision, in order; the draft is left as if they had committed.
 */
function planDecisions(engine: Engine, wf: CompiledWorkflow, draft: RunState, seed: Decision[], now: number, key: { holdsKey: boolean; keyHolder?: string }): { decisions: Decision[]; more: boolean } {
  const decisions: Decision[] = [];
  const seen = new Set<string>();
  let fakeSeq = draft.lastSeq;
  // Dispatches record the committed state they were decided on (staleness is judged from it), not the
  // draft's provisional seqs.
  const ctx: DecideContext = { wf, state: draft, now, random: engine.random, ...key, basis: { seq: draft.lastSeq, version: draft.envelopeVersion } };
  // Each decision gets its event id now: a decision it leads to in the same commit names it as its cause.
  const provisional = (d: Decision) => {
    d.id ??= newEventId();
    seen.add(d.idempotencyKey);
    decisions.push(d);
    const version = d.type === 'context.patched' ? draft.envelopeVersion + 1 : draft.envelopeVersion;
    applyEvent(wf, draft, { type: d.type, id: d.id, payload: d.payload, seq: ++fakeSeq, time: new Date(now).toISOString(), envelopeVersion: version, source: sourceOf(wf, d) } as RunEvent);
  };
  seed.forEach(provisional);
  for (let round = 0; round < MAX_DECIDE_ROUNDS; round++) {
    const next = decide(ctx).filter((d) => !seen.has(d.idempotencyKey));
    if (next.length === 0) return { decisions, more: false };
    next.forEach(provisional);
    // Only a dispatch whose task is still open runs: one decided together with its failure (an input
    // mapping that failed) must not also complete.
    for (const d of next) {
      if (d.type !== 'task.dispatched') continue;
      const p = d.payload as { nodeId: string; attempt: number };
      const ns = draft.nodes[p.nodeId];
      if (!ns || ns.status !== 'running' || ns.attempt !== p.attempt || ns.failure) continue;
      const result = engine.runInline(draft, d);
      const node = result && wf.nodes.get(result.nodeId);
      if (result && node?.kind === 'agent') for (const r of outputCausedByResult(acceptResult(ctx, node, result))) if (!seen.has(r.idempotencyKey)) provisional(r);
    }
  }
  // The step is capped (a map over hundreds of zero-latency items): what is left is decided in a next step.
  return { decisions, more: true };
}

function agentOf(wf: CompiledWorkflow, d: Decision): string {
  const nodeId = (d.payload as { nodeId?: string }).nodeId;
  const node = nodeId ? wf.nodes.get(nodeId) : undefined;
  return node?.kind === 'agent' ? node.config.agent : ENGINE_SOURCE.name;
}

/**
 * A person's command as appends, under their name. An approval decision answers the request: it names what
 * last moved the gate (the request, or the decision before it) as its cause; other commands are a person's
 * own act and have none.
 */
export function commandInputs(state: RunState, events: CommandEvent[], source: Source): AppendInput[] {
  return events.map((d) => {
    const causationId = d.type === 'approval.decided' ? causeOf(state, d.payload) : undefined;
    return { type: d.type, runId: state.runId, payload: d.payload, source, ...(d.idempotencyKey && { idempotencyKey: d.idempotencyKey }), ...(causationId && { causationId }), ...(d.key && { key: d.key }) };
  });
}

/** An agent's output written to the context follows from its result, not from the dispatch before it. */
function outputCausedByResult(decisions: Decision[]): Decision[] {
  const completed = decisions.find((d) => d.type === 'task.completed');
  if (!completed) return decisions;
  completed.id ??= newEventId();
  for (const d of decisions) if (d.type === 'context.patched' && (d.payload as { reason?: string }).reason === 'output') d.causationId = completed.id;
  return decisions;
}

/** Who records a decision: the agent whose result it is, else the engine. */
function sourceOf(wf: CompiledWorkflow, d: Decision): { kind: 'agent' | 'engine'; name: string } {
  return d.type === 'task.completed' || d.type === 'task.failed' ? { kind: 'agent', name: agentOf(wf, d) } : ENGINE;
}

/**
 * The one way the engine turns decisions into appends: each carries the id chosen for it when it was
 * decided (its effects in the same commit name it as their cause), its cause and its source.
 */
export function decisionInputs(wf: CompiledWorkflow, runId: string, decisions: Decision[], opts: { basedOnIndex?: number } = {}): AppendInput[] {
  return decisions.map((d) => ({
    type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source: sourceOf(wf, d),
    ...(d.id && { id: d.id }),
    ...(d.causationId && { causationId: d.causationId }),
    ...(d.key && { key: d.key }),
    ...(opts.basedOnIndex !== undefined && d.type === 'task.dispatched' && { basedOnIndex: opts.basedOnIndex, payload: withoutPlaceholder(d.payload) }),
  }));
}

/** A dispatch decided on a draft carries the draft's placeholder basedOnSeq; the log writes the real one. */
function withoutPlaceholder(payload: Json): Json {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const { basedOnSeq: _placeholder, ...rest } = payload;
  return rest;
}

/** The committed event an append result stands for, as every reader will see it. */
function committed(input: AppendInput, r: AppendResult, runId: string, nowMs: number, basedOnSeq?: number): SpineEvent {
  let payload = input.payload as Json;
  // The log wrote the seq of the event at basedOnIndex into the stored payload; the state folds the same.
  if (input.basedOnIndex !== undefined && basedOnSeq !== undefined && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) payload = { ...payload, basedOnSeq };
  return {
    seq: r.seq, id: r.id, type: input.type, key: input.key ?? null, runId, causationId: input.causationId ?? null, source: input.source as SpineEvent['source'],
    time: r.time ?? new Date(nowMs).toISOString(), envelopeVersion: r.envelopeVersion ?? null, payload, idempotencyKey: input.idempotencyKey ?? null, prevHash: '', hash: '',
  };
}

/**
 * What to append instead of a decision the log refused (its payload over the limit, say): the task it was
 * about fails with the reason, as an input or output the agent cannot fix (error edges and the node's
 * policy apply); any other decision fails the run. A run is never left running on a step it cannot take.
 */
function substituteFor(c: DecideContext, d: Decision, err: SpineError): Decision[] {
  const p = d.payload as { nodeId?: string; attempt?: number; agent?: string; idempotencyKey?: string; timeoutMs?: number };
  const node = p.nodeId ? c.wf.nodes.get(p.nodeId) : undefined;
  const ns = p.nodeId ? c.state.nodes[p.nodeId] : undefined;
  const what = d.type === 'task.dispatched' ? 'input' : d.type === 'task.completed' || d.type === 'context.patched' ? 'output' : d.type;
  const reason = `${what} could not be recorded: ${err.message} (${err.code})`;
  if (node?.kind === 'agent' && p.nodeId) {
    const attempt = p.attempt ?? ns?.attempt ?? 1;
    const failed = decisionOf(c, 'task.failed', { nodeId: p.nodeId, attempt, error: reason, errorKind: d.type === 'task.dispatched' ? 'input' : 'non_retryable', retryable: false, durationMs: 0 }, p.nodeId, attempt, 'failed');
    if (d.type !== 'task.dispatched') return ns?.status === 'running' && ns.attempt === attempt ? [failed] : [failRun(c, err.code, reason, p.nodeId)];
    const dispatched: Decision = { ...d, payload: { ...(d.payload as Record<string, Json>), input: null, inputRefused: { code: err.code, message: err.message } } };
    return [dispatched, { ...failed, causationId: d.id ?? failed.causationId, id: newEventId() }];
  }
  return [{ ...failRun(c, err.code, reason, p.nodeId), id: newEventId() }];
}

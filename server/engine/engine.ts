/**
 * The engine's shell: follows the spine, routes every event to the actor of its run, and keeps the
 * engine's consumer offset. Read README.md (beside this file) first: it states the actor, echo and offset
 * rules this file keeps.
 *
 * - Routing: an event of a run goes to that run's actor (runActor.ts); a new `run.started` adopts a run; a
 *   `run.reopened` resumes one (a failed node retried by hand); an event matching a published workflow's
 *   trigger starts a run (triggers.ts); a publish, archive or restore re-reads the triggers.
 * - Starts: `startRun` appends `run.started`; when this process leads, no idempotency key needs resolving
 *   and the entity key is free, the run's first steps go in the same commit (start in one commit).
 * - Recovery: on start, every run the run index lists as active is folded from the log and decided again;
 *   decide is level-triggered, so whatever a crash interrupted is re-issued, and idempotency keys make the
 *   log drop anything that had already been appended.
 * - Effects follow commits (`afterCommit`): timers for pending due instants (timers.ts), agent calls for
 *   dispatched tasks (dispatcher.ts), the entity-key queue (keyQueue.ts); a run's end is handled once
 *   (timers cancelled, calls aborted, key released).
 */
import { newEventId, type AppendInput, type AppendResult, type Json, type RunStatus, type Spine, type SpineEvent, ENGINE_SOURCE } from '@/server/spine';
import { isSpineError } from '@/server/errors';
import type { AgentRegistry } from '@/server/agents';
import type { WorkflowStore } from '@/server/workflows';
import { isRunEvent, toRunEvent, type Decision, type RunEvent, type RunStarted } from './events';
import { compileWorkflow, type CompiledWorkflow } from './graph';
import { decisionKey } from './ids';
import { committedEvents, decisionInputs, factInputs, runStartedInput, type Source, type StartRunRequest } from './appends';
import { Dispatcher } from './dispatcher';
import { KeyQueue } from './keyQueue';
import { planDecisions, runPlan } from './plan';
import { dispatchedOf, RunActor, type Dispatched, type Folded, type PersonCommand, type RunShell } from './runActor';
import { applyEvent, initialState, type RunState } from './run/evolve';
import { TimerService } from './timers';
import { Triggers } from './triggers';
import { newRunTrace, TriggerTraces } from './tracing';

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

type WorkflowVersion = Awaited<ReturnType<WorkflowStore['getVersion']>>;
/** The engine's consumer offset is saved at most this often (ms) while events flow. */
const OFFSET_SAVE_MS = 250;

export class Engine implements RunShell {
  private readonly actors = new Map<string, RunActor>();
  /**
   * Runs this process is starting in one commit. Their echoes from the subscription are held here until
   * the echo of the commit's last event has passed (`until`), then handed to the actor if it still runs:
   * without this, an echo arriving after a run that ended inside its first commit would re-adopt it.
   */
  private readonly starting = new Map<string, { events: SpineEvent[]; until?: number; actor?: RunActor }>();
  private readonly compiled = new Map<string, Promise<CompiledWorkflow>>();
  private readonly published = new Map<string, Promise<WorkflowVersion>>();
  private readonly abort = new AbortController();
  private readonly timers: TimerService;
  private readonly triggers: Triggers;
  readonly keys: KeyQueue;
  readonly dispatcher: Dispatcher;
  /** Trace contexts of published events, for the runs they trigger (tracing.ts). */
  readonly triggerTraces = new TriggerTraces();
  private loop?: Promise<void>;
  private offsetTimer?: NodeJS.Timeout;
  private lastSeen = 0;
  /** The head when this engine started: a run.started at or below it is a replay (see adopt). */
  private replayUntil = 0;
  readonly now: () => number;
  readonly random: () => number;
  /** The registry's cached version of an agent: what a dispatch records as `agentVersion` (warmed in start). */
  readonly agentVersion = (agent: string): number | undefined => this.deps.agents.peek(agent)?.version;

  constructor(readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = new TimerService((runId, timerId) => this.actors.get(runId)?.submit({ kind: 'timer', timerId }), this.now);
    this.keys = new KeyQueue((runId) => this.actors.get(runId)?.state, (runId) => this.actors.get(runId)?.submit({ kind: 'kick' }));
    this.dispatcher = new Dispatcher({
      agents: deps.agents, spine: deps.spine, now: this.now, stopped: this.abort.signal,
      deliver: (runId, result) => {
        const actor = this.actors.get(runId);
        actor?.submit({ kind: 'result', result });
        return actor !== undefined;
      },
    });
    this.triggers = new Triggers({ spine: deps.spine, workflows: deps.workflows, startRun: (req) => this.startRun(req), traceOf: (eventId) => this.triggerTraces.of(eventId), stopping: () => this.stopping, settled: () => this.scheduleOffsetCommit() });
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
    // The registry's records are loaded before any run steps, so dispatches record their agent's version.
    await this.deps.agents.names();
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
    this.dispatcher.abortAll();
    this.timers.stop();
    clearTimeout(this.offsetTimer);
    await this.loop;
    await Promise.all([...this.actors.values()].map((a) => a.idle()));
    for (const a of this.actors.values()) a.abandon();
    await this.commitOffset();
  }

  async refreshTriggers() {
    this.published.clear();
    await this.triggers.refresh();
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
  async fold(runId: string): Promise<Folded | null> {
    const events = await this.runEvents(runId);
    const started = events.find((e) => e.type === 'run.started');
    if (!started) return null;
    const p = started.payload as RunStarted['payload'];
    const wf = await this.workflow(p.workflowId, p.version);
    const state = initialState(runId);
    const seqs = new Set<number>();
    const dispatched = new Map<string, Dispatched>();
    for (const e of events) {
      if (!isRunEvent(e)) continue;
      applyEvent(wf, state, toRunEvent(e));
      seqs.add(e.seq);
      if (e.type === 'task.dispatched') dispatched.set(...dispatchedOf(e));
    }
    return { state, wf, seqs, dispatched };
  }

  // ── Routing ────────────────────────────────────────────────────────────────────────────────────────

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
      const id = (e.payload as { workflowId?: unknown } | null)?.workflowId;
      if (e.type !== 'workflow.published' && typeof id === 'string') this.triggers.setArchived(id, e.type === 'workflow.archived');
      this.deps.onPublished?.();
      return this.refreshTriggers().catch((err: unknown) => console.error('spine engine: cannot re-read triggers', err));
    }
    // An agent registered, changed or removed by another process (on PostgreSQL): dispatch with the new version.
    if (e.type === 'agent.registered' || e.type === 'agent.changed' || e.type === 'agent.removed') {
      return this.deps.agents.refresh().catch((err: unknown) => console.error('spine engine: cannot re-read agents', err));
    }
    this.triggers.route(e);
  }

  // ── Recovery, adoption, resumption ─────────────────────────────────────────────────────────────────

  private async recover(runId: string) {
    const folded = await this.fold(runId).catch((e) => {
      console.error(`spine engine: cannot recover run ${runId}`, e);
      return null;
    });
    if (!folded || folded.state.status !== 'running') return;
    const actor = new RunActor(this, folded.wf, folded.state, folded.seqs, folded.dispatched);
    this.actors.set(runId, actor);
    this.keys.enqueue(folded.state);
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
        .append([{ type: 'run.failed', runId, source: ENGINE_SOURCE, causationId: e.id, idempotencyKey: decisionKey(runId, 'run.failed', 'failed'), payload: { code: 'workflow.unavailable', reason }, ...(e.key && { key: e.key }) }])
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
    actor.resume(folded);
    this.keys.enqueue(folded.state);
    actor.submit({ kind: 'kick' });
  }

  // ── Effects after a commit ─────────────────────────────────────────────────────────────────────────

  /** Called by an actor after each committed step. */
  afterCommit(actor: RunActor, adoptedNow: boolean) {
    const s = actor.state;
    if (adoptedNow) this.keys.enqueue(s);
    if (s.status !== 'running') {
      // Echoes of the final step may still be in the mailbox: the end is handled once, by the actor in charge.
      if (this.actors.get(s.runId) !== actor) return;
      this.timers.cancelRun(s.runId);
      this.dispatcher.abortRun(s.runId);
      this.actors.delete(s.runId);
      this.keys.release(s);
      this.deps.onRunEnded?.(s);
      return;
    }
    // Waiting on a person or a delay: the next run on the key goes first (key hold `working`).
    if (s.gate === 'released') this.keys.release(s);
    for (const [timerId, t] of Object.entries(s.timers)) this.timers.arm(s.runId, timerId, t.dueAt);
    for (const [nodeId, ns] of Object.entries(s.nodes)) {
      if (ns.status !== 'running' || ns.failure || ns.redispatch || ns.attempt < 1) continue;
      const node = actor.wf!.nodes.get(nodeId);
      if (node?.kind !== 'agent') continue;
      const d = actor.dispatchOf(node.id);
      this.dispatcher.dispatch(s, node, ns.attempt, d?.input ?? (s.input as Json), d?.agentVersion, d?.trace);
    }
  }

  // ── Starts ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Appends run.started for a published workflow (whatever its trigger). With an idempotency key seen
   * before, returns the original run instead.
   */
  async startRun(req: StartRunRequest): Promise<{ runId: string; duplicate: boolean }> {
    const v = req.version === undefined ? await this.publishedVersion(req.workflowId) : await this.deps.workflows.getVersion(req.workflowId, req.version);
    // Random (v4), not time-ordered like event ids: people tell runs apart by the first 8 characters (the
    // dashboard shows them, run search takes a prefix), which in a UUIDv7 are the same for every run of a minute.
    const runId = crypto.randomUUID();
    const payload: RunStarted['payload'] = {
      workflowId: v.workflowId, workflowSlug: v.slug, version: v.version, input: req.input ?? {}, startedBy: req.startedBy,
      trigger: req.trigger ?? { kind: 'api' },
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.constraints !== undefined && { constraints: req.constraints }),
      ...(req.deadline !== undefined && { deadline: req.deadline }),
      state: req.state ?? {},
      trace: newRunTrace(req.trace),
      ...(req.fork && { fork: req.fork }),
    };
    // Leading here, no idempotency key to resolve, entity key free: start and take every first step that
    // needs no waiting in the same commit as run.started.
    if (this.loop && !this.stopping && req.idempotencyKey === undefined && (!req.key || !this.keys.has(req.key)))
      return this.startInOneCommit(runId, payload, req);
    const [r] = await this.spine.append([runStartedInput(runId, payload, req)]);
    if (!r!.duplicate) return { runId, duplicate: false };
    const original = await this.spine.getEvent(r!.seq);
    return { runId: original.runId!, duplicate: true };
  }

  private async startInOneCommit(runId: string, payload: RunStarted['payload'], req: StartRunRequest): Promise<{ runId: string; duplicate: boolean }> {
    const wf = await this.workflow(payload.workflowId, payload.version);
    const now = this.now();
    const started = runStartedInput(runId, payload, req, { id: newEventId() });
    const draft = initialState(runId);
    applyEvent(wf, draft, { type: 'run.started', id: started.id, payload, seq: 1, time: new Date(now).toISOString(), envelopeVersion: 1, source: started.source, key: req.key ?? null } as RunEvent & { key: string | null });
    const { decisions, more } = runPlan(planDecisions(wf, draft, [], now, this.random, { holdsKey: true }, this.agentVersion), (fx) => this.dispatcher.runInline(fx));
    // Every dispatch of this commit was decided on the state as of run.started: the log writes its real seq
    // into basedOnSeq (the draft only had a placeholder).
    const inputs: AppendInput[] = [started, ...decisionInputs(wf, runId, decisions, { basedOnIndex: 0 })];
    const entry: { events: SpineEvent[]; until?: number; actor?: RunActor } = { events: [] };
    this.starting.set(runId, entry);
    let results: AppendResult[];
    try {
      results = await this.spine.append(inputs);
    } catch (e) {
      this.starting.delete(runId);
      // A first step the log refuses (a mapped input over the payload limit) must not refuse the start: the
      // run starts alone (the engine adopts it when its run.started comes back), and its actor records that
      // step's failure like any other.
      if (isSpineError(e) && e.httpStatus < 500 && Number((e.details as { index?: number } | undefined)?.index) > 0) {
        await this.spine.append([runStartedInput(runId, payload, req)]);
        return { runId, duplicate: false };
      }
      throw e;
    }
    const actor = new RunActor(this, wf, initialState(runId), new Set());
    actor.adoptCommitted(committedEvents(inputs, results, runId, now, results[0]!.seq));
    this.actors.set(runId, actor);
    entry.actor = actor;
    entry.until = results[results.length - 1]!.seq;
    this.afterCommit(actor, true);
    if (more) actor.submit({ kind: 'kick' });
    if (this.lastSeen >= entry.until) this.flushStarting(runId);
    return { runId, duplicate: false };
  }

  private flushStarting(runId: string) {
    const entry = this.starting.get(runId);
    this.starting.delete(runId);
    if (entry?.actor && this.actors.get(runId) === entry.actor) for (const e of entry.events) entry.actor.submit({ kind: 'event', event: e });
  }

  // ── People's commands ──────────────────────────────────────────────────────────────────────────────

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
    return this.spine.append(factInputs(runId, decisions, source));
  }

  // ── The consumer offset ────────────────────────────────────────────────────────────────────────────

  private scheduleOffsetCommit() {
    if (this.offsetTimer) return;
    this.offsetTimer = setTimeout(() => {
      this.offsetTimer = undefined;
      void this.commitOffset();
    }, OFFSET_SAVE_MS);
    this.offsetTimer.unref?.();
  }

  /** Saves the last event routed, held below any trigger event whose start is in flight (README.md, "The offset rule"). */
  private async commitOffset() {
    const offset = this.triggers.offsetBelowPending(this.lastSeen);
    if (offset > 0) await this.spine.log.saveOffset('engine', offset, {}).catch(() => undefined);
  }

  /** The in-memory state of an active run (undefined once it ended or before adoption). */
  activeState(runId: string): RunState | undefined {
    return this.actors.get(runId)?.state;
  }

  get activeRuns(): number {
    return this.actors.size;
  }
}

function isTerminal(status: RunStatus | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

function isEngineRun(p: Json): boolean {
  return p !== null && typeof p === 'object' && !Array.isArray(p) && typeof p.workflowId === 'string' && typeof p.version === 'number';
}

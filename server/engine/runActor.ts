/**
 * One run's actor: a mailbox and the run's committed state. Steps are strictly serial per run (runs proceed
 * in parallel): a step folds the run's new events into its state, plans what comes next (plan.ts, pure),
 * and appends all of it in one atomic append; only committed events change the state, and each is applied
 * once (the echo rule). People's commands go through the mailbox too, so they are judged on, and applied to,
 * the state between steps. See README.md, "The actor" and "The echo rule".
 */
import { newEventId, type AppendInput, type AppendResult, type Json, type Spine, type SpineEvent } from '@/server/spine';
import { isSpineError, type SpineError } from '@/server/errors';
import { isRunEvent, toRunEvent, type Decision } from './events';
import type { CompiledWorkflow } from './graph';
import { commandInputs, committed, decisionInputs, type CommandEvent, type Source } from './appends';
import { decisionKey } from './ids';
import type { KeyQueue } from './keyQueue';
import type { Dispatcher } from './dispatcher';
import { outputCausedByResult, planDecisions, runPlan } from './plan';
import { acceptResult, type TaskResult } from './primitives/handoff';
import { wantsKey } from './run/decide';
import { applyEvent, type RunState } from './run/evolve';
import type { TraceContext } from './run/traceContext';
import { causeOf, decision as decisionOf, failRun, type AgentVersionOf, type DecideContext } from './run/decideContext';

/** A step that fails for a reason outside the run (the database gone for a moment) is tried again this often. */
const STEP_ATTEMPTS = 5;

export type PersonCommand = {
  kind: 'command';
  /** Validates against the run's committed state (throw to refuse) and returns the events to append. */
  build: (state: RunState) => CommandEvent[];
  source: Source;
  /** With the append results; with null when the actor gave up the run (the caller falls back to the log). */
  done: (r: AppendResult[] | null) => void;
  fail: (err: unknown) => void;
};
export type Command = { kind: 'event'; event: SpineEvent } | { kind: 'result'; result: TaskResult } | { kind: 'timer'; timerId: string } | { kind: 'kick' } | PersonCommand;

/**
 * What an agent node's latest task.dispatched asked for: the input it was decided with (absent when it is the
 * run's input, see `dispatchedInput`), the agent version and its span.
 */
export type Dispatched = { input?: Json; agentVersion?: number; trace?: TraceContext };
/** The dispatch a task.dispatched event records, by node. */
export function dispatchedOf(e: SpineEvent): [nodeId: string, d: Dispatched] {
  const p = e.payload as { nodeId: string; input?: Json; agentVersion?: number; trace?: TraceContext };
  return [p.nodeId, { ...(p.input !== undefined && { input: p.input }), ...(p.agentVersion !== undefined && { agentVersion: p.agentVersion }), ...(p.trace && { trace: p.trace }) }];
}
/** A run folded from the log: its state, the seqs folded and each agent node's latest dispatch. */
export type Folded = { state: RunState; wf: CompiledWorkflow; seqs: Set<number>; dispatched: Map<string, Dispatched> };

/** What an actor needs of the engine shell (engine.ts). */
export interface RunShell {
  readonly spine: Spine;
  readonly stopping: boolean;
  readonly now: () => number;
  readonly random: () => number;
  /** The registry's current version of an agent (recorded on its dispatch). */
  readonly agentVersion: AgentVersionOf;
  readonly keys: KeyQueue;
  readonly dispatcher: Dispatcher;
  fold(runId: string): Promise<Folded | null>;
  /** Effects of a committed step: timers, agent calls, key hand-over, the run's end. */
  afterCommit(actor: RunActor, adoptedNow: boolean): void;
}

export class RunActor {
  private inbox: Command[] = [];
  private running?: Promise<void>;
  private adopted: boolean;
  private stepFailures = 0;

  constructor(
    private readonly engine: RunShell,
    public wf: CompiledWorkflow | null,
    public state: RunState,
    private applied: Set<number>,
    /** Each agent node's latest dispatch: what a re-dispatch of the same attempt sends again, to the same version. */
    private dispatched = new Map<string, Dispatched>(),
  ) {
    this.adopted = applied.size > 0;
  }

  setWorkflow(wf: CompiledWorkflow) {
    this.wf = wf;
    this.pump();
  }

  /** Takes over a run folded from the log (a reopened run); its mailbox may already hold newer events. */
  resume(f: Folded) {
    this.state = f.state;
    this.applied = f.seqs;
    this.dispatched = f.dispatched;
    this.adopted = true;
    this.wf = f.wf;
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

  dispatchOf(nodeId: string): Dispatched | undefined {
    return this.dispatched.get(nodeId);
  }

  /** Events this process committed for a run it started in one commit. */
  adoptCommitted(events: SpineEvent[]) {
    for (const e of events) this.apply(e);
    this.adopted = true;
  }

  private pump() {
    if (this.running || !this.wf || this.engine.stopping) return;
    this.running = (async () => {
      try {
        // An agent's result wakes the actor from a timer or a socket: the results of its siblings are often
        // due in the same turn of the event loop (a fan-out's branches). One hop lets them join this step, so
        // they commit together instead of the first alone and the rest in the next step (one fsync less on
        // the run's critical path).
        if (this.inbox[0]?.kind === 'result') await new Promise<void>((r) => setImmediate(r));
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
    this.applyCommitted(inputs, results, this.engine.now());
    c.done(results);
  }

  /**
   * Applies what this actor just appended, as committed. Skipped: a duplicate (the log already had it), one
   * already applied, and one below the state's last seq (an external event slipped in between; the next
   * step refolds).
   */
  private applyCommitted(inputs: AppendInput[], results: AppendResult[], now: number) {
    results.forEach((r, i) => {
      if (r.duplicate || this.applied.has(r.seq) || r.seq < this.state.lastSeq) return;
      this.apply(committed(inputs[i]!, r, this.state.runId, now));
    });
  }

  private apply(e: SpineEvent) {
    applyEvent(this.wf!, this.state, toRunEvent(e));
    this.applied.add(e.seq);
    if (e.type === 'task.dispatched') this.dispatched.set(...dispatchedOf(e));
  }

  private async step(batch: Command[]) {
    const wf = this.wf!;
    const wasAdopted = this.adopted;
    let refold = false;
    let changed = false;
    for (const c of batch) {
      if (c.kind === 'result') this.engine.dispatcher.taken(this.state.runId, c.result);
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
        this.dispatched = folded.dispatched;
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
    const keys = this.engine.keys;
    // A run that released its key lines up again once it has work (its approval decided, its delay over).
    if (this.state.gate === 'released' && wantsKey({ wf, state: this.state, now, random: this.engine.random, holdsKey: false })) keys.enqueue({ ...this.state, gate: 'queued' });
    const key = { holdsKey: keys.holds(this.state), keyHolder: keys.holder(this.state) };
    const ctx = (state: RunState): DecideContext => ({ wf, state, now, random: this.engine.random, ...key, basis, agentVersion: this.engine.agentVersion });
    const decisions: Decision[] = [];
    for (const c of batch) {
      if (c.kind === 'result') {
        const node = wf.nodes.get(c.result.nodeId);
        if (node?.kind === 'agent') decisions.push(...outputCausedByResult(acceptResult(ctx(this.state), node, c.result)));
      } else if (c.kind === 'timer' && this.state.timers[c.timerId]) {
        const causationId = causeOf(this.state, { timerId: c.timerId });
        decisions.push({ type: 'timer.fired', payload: { timerId: c.timerId }, idempotencyKey: decisionKey(this.state.runId, 'timer.fired', c.timerId), ...(causationId && { causationId }), ...(this.state.key && { key: this.state.key }) });
      }
    }
    const draft = structuredClone(this.state);
    const dispatcher = this.engine.dispatcher;
    const planned = runPlan(planDecisions(wf, draft, decisions, now, this.engine.random, key, this.engine.agentVersion), (fx) => dispatcher.runInline(fx));
    if (planned.decisions.length === 0) {
      this.engine.afterCommit(this, false);
      return;
    }
    const { inputs, results, cut } = await this.appendOrSubstitute(ctx(this.state), planned.decisions);
    this.applyCommitted(inputs, results, now);
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

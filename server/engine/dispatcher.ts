/**
 * Where an agent is called. A dispatched task is called after its commit (at least once, with the attempt's
 * idempotency key; once per attempt while the process lives, because a call counts as in flight until its
 * actor has taken the result in), under the node's timeout, and aborted when its run ends or the engine
 * stops. A zero-latency builtin agent can instead answer inline, while a step is planned (plan.ts yields the
 * effect, the shell calls `runInline`). An agent's limits apply here: its timeout when shorter than the
 * node's, and its concurrency and rate per minute through the AgentGate. Every outcome, a call's or an inline run's, becomes a TaskResult
 * through one mapping (`taskResult`). See README.md.
 */
import { ENGINE_SOURCE, type Envelope, type Json, type Spine } from '@/server/spine';
import { AgentReply, checkAgentOutput, isNonRetryable, usageOf, NonRetryableAgentError, retryAfterOf, BuiltinAdapter, type AgentRegistry, type AgentTools, type AgentUsage } from '@/server/agents';
import type { AgentNode } from '@/server/workflows/schema';
import { agentQuestionId, decisionKey, idempotencyKey, toolCallKey } from './ids';
import { usageFields, type TaskResult } from './primitives/handoff';
import type { RunState } from './run/evolve';
import { toolTrace, type TraceContext } from './run/traceContext';
import { mirrorEnvelope, type InlineRun } from './plan';
import { AgentGate } from './agentGate';

class AgentTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

type Outcome = { ok: true; output: Json | AgentReply | undefined; envelopeVersion: number } | { ok: false; error: unknown; timeoutMs?: number };

/** An adapter's answer: the output alone, or an AgentReply with the tokens it used. */
function unwrap(r: Json | AgentReply | undefined): { output: Json; usage?: AgentUsage } {
  return r instanceof AgentReply ? { output: r.output, ...(r.usage && { usage: r.usage }) } : { output: r ?? null };
}

/** The one mapping from what an agent did (answered, threw, timed out) to the result its task records. */
function taskResult(nodeId: string, attempt: number, durationMs: number, o: Outcome): TaskResult {
  if (o.ok) return { ok: true, nodeId, attempt, ...unwrap(o.output), envelopeVersion: o.envelopeVersion, durationMs };
  const { error: err, timeoutMs } = o;
  const timedOut = timeoutMs !== undefined;
  const retryAfterMs = retryAfterOf(err);
  const usage = usageOf(err);
  return {
    ok: false, nodeId, attempt, durationMs,
    error: timedOut ? `timed out after ${timeoutMs} ms` : err instanceof Error ? err.message : String(err),
    errorKind: timedOut ? 'timeout' : isNonRetryable(err) ? 'non_retryable' : 'error',
    retryable: !isNonRetryable(err),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(usage && { usage }),
  };
}

export type DispatcherDeps = {
  agents: AgentRegistry;
  spine: Spine;
  now: () => number;
  /** Aborted when the engine stops: calls cut short then record nothing. */
  stopped: AbortSignal;
  /** Hands a result to its run's actor; false when no actor drives the run any more. */
  deliver: (runId: string, result: TaskResult) => boolean;
};

export class Dispatcher {
  /** Calls out, by their idempotency key (`<runId>:<nodeId>:<attempt>`). */
  private readonly inflight = new Map<string, AbortController>();
  /** Each agent's concurrency and rate limits. */
  readonly gate = new AgentGate();

  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * Calls the agent of `node` for `attempt` unless that attempt is already in flight. `s` is the run's
   * state now; `input` the attempt's dispatched input (mapped when it was decided); `agentVersion` the
   * version its task.dispatched recorded, which is the one called (a change since then waits for the
   * next task), so the log says truly which version did the work. `trace`: the attempt's span, as its
   * task.dispatched recorded it; the agent receives it (`AgentTask.trace`) to join the run's trace.
   */
  dispatch(s: RunState, node: AgentNode, attempt: number, input: Json, agentVersion?: number, trace?: TraceContext) {
    const key = idempotencyKey({ runId: s.runId, nodeId: node.id, attempt });
    if (this.inflight.has(key)) return;
    const ac = new AbortController();
    this.inflight.set(key, ac);
    const calledAt = Date.now();
    const timeLimit = (ms: number) => setTimeout(() => ac.abort(new AgentTimeout(ms)), Math.max(0, ms - (Date.now() - calledAt)));
    let timeout = timeLimit(node.config.timeoutMs);
    const started = this.deps.now();
    const ns = s.nodes[node.id]!;
    void (async () => {
      let result: TaskResult;
      let release = () => {};
      try {
        // An agent that is not registered (or has no adapter) will not appear by retrying: the task fails for good.
        const { agent, adapter } = await this.deps.agents.resolveVersion(node.config.agent, agentVersion).catch((e: unknown) => {
          throw new NonRetryableAgentError(e instanceof Error ? e.message : String(e), { cause: e });
        });
        const agentLimit = agent.limits?.timeoutMs;
        if (agentLimit !== undefined && agentLimit < node.config.timeoutMs) {
          clearTimeout(timeout);
          timeout = timeLimit(agentLimit);
        }
        // Waiting for the agent's turn counts against the task's time limit.
        release = await this.gate.acquire(agent.name, agent.limits, ac.signal);
        const envelope = agent.kind === 'builtin' ? mirrorEnvelope(s) : await this.deps.spine.envelope(s.runId);
        const event = { seq: ns.dispatchSeq ?? 0, id: ns.dispatchId ?? '', type: 'task.dispatched' };
        const tools = this.toolsFor({ runId: s.runId, key: s.key, nodeId: node.id, attempt, agent: agent.name, taskKey: key, envelope, event, trace });
        const output = await adapter.invoke(agent, { runId: s.runId, nodeId: node.id, attempt, idempotencyKey: key, input, envelope, event, ...(trace && { trace }) }, ac.signal, tools);
        // The contract: an output the agent's registered output schema refuses is a failed task, never a bad value downstream.
        const answered = unwrap(output);
        checkAgentOutput(agent, answered.output, answered.usage);
        result = taskResult(node.id, attempt, this.deps.now() - started, { ok: true, output, envelopeVersion: envelope.version });
      } catch (err) {
        if (this.deps.stopped.aborted || (ac.signal.aborted && !(ac.signal.reason instanceof AgentTimeout))) {
          if (this.inflight.get(key) === ac) this.inflight.delete(key);
          return;
        }
        const reason: unknown = ac.signal.reason;
        result = taskResult(node.id, attempt, this.deps.now() - started, { ok: false, error: err, ...(reason instanceof AgentTimeout && { timeoutMs: reason.ms }) });
      } finally {
        clearTimeout(timeout);
        release();
      }
      // The call stays in flight until its actor has taken the result in (taken): a step that ends in
      // between must not see the node running with no call out and dispatch the same attempt again.
      if (!this.deps.deliver(s.runId, result) && this.inflight.get(key) === ac) this.inflight.delete(key);
    })();
  }

  /**
   * Other agents as tools of one task. A call goes through the registry and the callee's adapter, like a
   * task (its idempotency key `toolCallKey(taskKey, n)`; a tool gets no tools of its own), and is recorded
   * as `task.tool_called` (caused by the task's dispatch; the same key, so a replayed call records
   * nothing twice) before its output goes back to the caller. A status update the agent reports is
   * recorded as `task.progress` (`task.input_required` when it waits for input), caused by the dispatch too;
   * a question for a person (`ask`) is a `task.input_required` with a question id, answered by
   * `task.input_provided` (server/approvals/questions.ts), which the call waits for.
   */
  private toolsFor(t: { runId: string; key: string | null | undefined; nodeId: string; attempt: number; agent: string; taskKey: string; envelope: Envelope; event: { seq: number; id: string; type: string }; trace?: TraceContext }): AgentTools {
    let n = 0;
    let updates = 0;
    return {
      progress: async (update) => {
        const i = ++updates;
        const type = update.state === 'input-required' ? 'task.input_required' : 'task.progress';
        const payload = { nodeId: t.nodeId, attempt: t.attempt, agent: t.agent, n: i, ...update };
        await this.deps.spine.append([{ type, runId: t.runId, source: ENGINE_SOURCE, causationId: t.event.id || undefined, idempotencyKey: decisionKey(t.runId, 'progress', t.taskKey, i), payload, ...(t.key && { key: t.key }) }]);
      },
      ask: async (q, signal) => {
        const i = ++updates;
        const questionId = agentQuestionId(t.taskKey, i);
        const payload = { nodeId: t.nodeId, attempt: t.attempt, agent: t.agent, n: i, state: 'input-required', questionId, message: q.question, ...(q.data !== undefined && { data: q.data }), ...(q.remoteTaskId && { remoteTaskId: q.remoteTaskId }) };
        const [asked] = await this.deps.spine.append([{ type: 'task.input_required', runId: t.runId, source: ENGINE_SOURCE, causationId: t.event.id || undefined, idempotencyKey: decisionKey(t.runId, 'progress', t.taskKey, i), payload, ...(t.key && { key: t.key }) }]);
        // The answer comes after the question (server/approvals/questions.ts appends it): also after a replayed one.
        for await (const e of this.deps.spine.subscribe({ runId: t.runId, types: ['task.input_provided'], after: asked!.seq, signal })) {
          const p = e.payload as { questionId?: string; answer?: Json };
          if (p.questionId === questionId) return p.answer ?? null;
        }
        signal.throwIfAborted();
        throw new Error(`no answer to ${questionId}`);
      },
      describe: (names) =>
        Promise.all(
          names.map(async (name) => {
            const { agent } = await this.deps.agents.resolve(name).catch((e: unknown) => {
              throw new NonRetryableAgentError(`tool '${name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
            });
            const schema = agent.inputSchema;
            const parameters = schema !== null && typeof schema === 'object' && !Array.isArray(schema) ? schema : { type: 'object' };
            return { name, description: agent.description || `The Spine agent '${name}'.`, parameters };
          }),
        ),
      call: async (call, signal) => {
        const i = ++n;
        const key = toolCallKey(t.taskKey, i);
        // The tool agent works in its call's own span, under the task's.
        const tool = t.trace && toolTrace(t.trace, i);
        const started = this.deps.now();
        let result: { output: Json; usage?: AgentUsage } | undefined;
        let failure: unknown;
        try {
          const { agent, adapter } = await this.deps.agents.resolve(call.tool);
          result = unwrap(await adapter.invoke(agent, { runId: t.runId, nodeId: t.nodeId, attempt: t.attempt, idempotencyKey: key, input: call.arguments, envelope: t.envelope, event: t.event, ...(tool && { trace: tool }) }, signal));
        } catch (e) {
          if (signal.aborted) throw e;
          failure = e;
        }
        const payload = {
          nodeId: t.nodeId, attempt: t.attempt, tool: call.tool, callId: call.callId, round: call.round, n: i, arguments: call.arguments,
          output: result?.output ?? null, durationMs: this.deps.now() - started,
          ...(failure !== undefined && { error: failure instanceof Error ? failure.message : String(failure) }),
          ...(result?.usage && usageFields(result.usage)),
        };
        await this.deps.spine.append([{ type: 'task.tool_called', runId: t.runId, source: ENGINE_SOURCE, causationId: t.event.id || undefined, idempotencyKey: decisionKey(t.runId, 'tool', key), payload, ...(t.key && { key: t.key }) }]);
        if (failure !== undefined) throw failure;
        return result!.output;
      },
    };
  }

  /** The actor has folded an agent's result into its step: the attempt is no longer in flight. */
  taken(runId: string, r: TaskResult) {
    this.inflight.delete(idempotencyKey({ runId, nodeId: r.nodeId, attempt: r.attempt }));
  }

  /** The run ended: its calls out are aborted (their results would change nothing). */
  abortRun(runId: string) {
    for (const [key, ac] of this.inflight) {
      if (!key.startsWith(`${runId}:`)) continue;
      ac.abort(new Error('run ended'));
      this.inflight.delete(key);
    }
  }

  /** The engine stops: every call out is aborted. */
  abortAll() {
    for (const ac of this.inflight.values()) ac.abort(new Error('engine stopping'));
  }

  /** Answers a planner's InlineRun: runs a zero-latency builtin agent synchronously; undefined when it is not one. */
  runInline(effect: InlineRun): TaskResult | undefined {
    const p = effect.dispatch.payload as { nodeId: string; attempt: number; agent: string; agentVersion?: number; idempotencyKey: string; trace?: TraceContext };
    const agent = this.deps.agents.peek(p.agent);
    // An agent with a concurrency or rate limit takes its turn in the gate, so it is called, not run inline;
    // so is one dispatched at another version than the cached one (a fork's pinned version: resolveVersion).
    if (!agent || !BuiltinAdapter.runsInline(agent) || agent.limits?.concurrency || agent.limits?.ratePerMinute) return undefined;
    if (p.agentVersion !== undefined && agent.version !== undefined && p.agentVersion !== agent.version) return undefined;
    const started = this.deps.now();
    const envelope = effect.envelope;
    try {
      const output = this.deps.agents.builtin.runInline(agent, { runId: effect.runId, nodeId: p.nodeId, attempt: p.attempt, idempotencyKey: p.idempotencyKey, input: effect.input, envelope, event: { seq: 0, id: '', type: 'task.dispatched' }, ...(p.trace && { trace: p.trace }) });
      checkAgentOutput(agent, unwrap(output).output);
      return taskResult(p.nodeId, p.attempt, this.deps.now() - started, { ok: true, output, envelopeVersion: envelope.version });
    } catch (err) {
      return taskResult(p.nodeId, p.attempt, this.deps.now() - started, { ok: false, error: err });
    }
  }
}

/**
 * The engine's events: typed records with dotted past-tense names. A run's state is a fold over exactly
 * these (run/evolve.ts); the engine appends them (run/decide.ts decides which) and nothing else changes
 * a run. Payloads carry ids, never English only, so the UI and tests can rely on them.
 */
import type { Json, SpineEvent } from '@/server/spine';
import type { RunTraceContext, TraceContext } from './run/traceContext';

export type EngineEvent<T extends string, P> = { type: T; payload: P; seq: number; id?: string; time: string; envelopeVersion: number | null; source: { kind: string; name: string } };

export type RunStarted = EngineEvent<'run.started', {
  workflowId: string; workflowSlug: string; version: number; input: Json; intent?: string; constraints?: Record<string, Json>;
  deadline?: string; state?: Record<string, Json>; startedBy: string; /** How the run was started: `designer` is the Run button of the designer (tRPC `workflows.startRun`), `api` the public API. */ trigger: { kind: 'manual' | 'event' | 'schedule' | 'api' | 'designer' | 'fork'; eventSeq?: number; eventType?: string };
  /** The run's W3C trace context (run/traceContext.ts): its span, and the caller's when the start came with a `traceparent`. */
  trace?: RunTraceContext;
  /** A fork (service.forkRun): the run it was forked from, at which event, and the recorded outputs it reuses by node. */
  fork?: RunFork;
}>;
/**
 * What a fork takes as given from its origin: each reused node's recorded output (and tokens), answered without
 * calling its agent. `agentVersions`: agents dispatched at a pinned registry version (a candidate being
 * evaluated). `sideEffects`: the agents with side effects this fork never calls (unless it allowed them): a
 * node in `held` is answered from the origin's recorded output, any other task of such an agent fails.
 * `approvals`: the origin's recorded outcome of each approval node, decided again at once when the fork
 * requests it (`reuseApprovals`: an evaluation asks nobody again).
 */
export type RunFork = {
  from: string; atSeq: number; reuse: Record<string, { output: Json; usage?: TokenUsage }>;
  agentVersions?: Record<string, number>;
  sideEffects?: { agents: string[]; held: Record<string, { output: Json; usage?: TokenUsage }> };
  approvals?: Record<string, { decision: 'approve' | 'reject'; actor: string }>;
};
export type RunQueued = EngineEvent<'run.queued', { key: string; behind: string }>;
export type RunKeyAcquired = EngineEvent<'run.key_acquired', { key: string }>;
/** The run has nothing to do until a person or a timer acts: it lets the next run on its key go first. */
export type RunKeyReleased = EngineEvent<'run.key_released', { key: string; waitingOn: string[] }>;
/** `handle: 'error'` with `code` / `reason`: the node failed, and its branch or error edge takes it from there. */
export type NodeCompleted = EngineEvent<'node.completed', { nodeId: string; handle?: string; code?: string; reason?: string }>;
export type NodeSkipped = EngineEvent<'node.skipped', { nodeId: string }>;
/** Map mode also records the list (evaluated once, so replays never re-evaluate it) and the concurrency. */
export type FanOutStarted = EngineEvent<'fanout.started', { nodeId: string; branches: string[]; items?: Json[]; concurrency?: number }>;
/** One item of a map fan-out starts its copy of the branch (instance ids `<nodeId>#<index>`). */
export type FanOutItemStarted = EngineEvent<'fanout.item_started', { nodeId: string; index: number }>;
/**
 * `basedOnSeq` / `basedOnVersion`: the committed state the dispatch (and its input mapping) was decided on.
 * `item`: in a map fan-out's branch, the template node and item index (`nodeId` is then `<node>#<index>`).
 * `trace`: the attempt's span in the run's trace (derived from the run's trace, node and attempt), sent to the agent.
 */
/**
 * A task as dispatched. `input` is what the agent receives; when that is the run's own input (no input mapping,
 * not a map item) it is not copied: `inputFrom: 'run'` stands for run.started's input (`dispatchedInput`).
 * Events recorded before that carry the copy.
 */
export type TaskDispatched = EngineEvent<'task.dispatched', { nodeId: string; attempt: number; agent: string; agentVersion?: number; input?: Json; inputFrom?: 'run'; idempotencyKey: string; timeoutMs: number; basedOnSeq?: number; basedOnVersion?: number; item?: { nodeId: string; index: number; fanOutId: string }; trace?: TraceContext }>;
/** An LLM agent's completion also records the tokens it used (`model`, and `cost` where the agent has a price). */
export type TaskCompleted = EngineEvent<'task.completed', { nodeId: string; attempt: number; output: Json; envelopeVersion: number; durationMs: number } & Partial<TokenUsage>>;
export type TokenUsage = { inputTokens: number; outputTokens: number; model: string; cost?: number };
/**
 * A tool call an agent made while working on its task (an LLM agent calling another Spine agent), recorded
 * by the dispatcher as the call returns; its cause is the task's `task.dispatched`. Not part of the fold
 * (a run's state does not depend on it; `isRunEvent` is false): it is the step's record in the log.
 */
export type TaskToolCalled = EngineEvent<'task.tool_called', {
  nodeId: string; attempt: number; tool: string; callId: string; round: number; n: number; arguments: Json; output: Json | null; error?: string; durationMs: number;
} & Partial<TokenUsage>>;
/**
 * A status update an agent reported while working on its task (an A2A task's status updates), recorded by
 * the dispatcher; `task.input_required` when the agent waits for input. Caused by the task's
 * `task.dispatched`; like `task.tool_called`, not part of the fold (`isRunEvent` is false).
 */
export type TaskProgress = EngineEvent<'task.progress' | 'task.input_required', { nodeId: string; attempt: number; agent: string; n: number; state: string; remoteTaskId?: string; message?: string; data?: Json; questionId?: string }>;
/** A person's answer to an agent's question (`task.input_required` with `questionId`), sent back to the agent. Not folded. */
export type TaskInputProvided = EngineEvent<'task.input_provided', { nodeId: string; attempt: number; questionId: string; answer: Json; actor: string }>;
export type TaskFailed = EngineEvent<'task.failed', { nodeId: string; attempt: number; error: string; errorKind: 'error' | 'timeout' | 'non_retryable' | 'stale' | 'input'; retryable: boolean; durationMs: number; retryAfterMs?: number } & Partial<TokenUsage>>;
export type TaskRetried = EngineEvent<'task.retried', { nodeId: string; attempt: number; nextAttempt: number; dueAt: string; timerId: string; manual?: boolean }>;
export type TaskStale = EngineEvent<'task.stale', { nodeId: string; attempt: number; basedOnVersion: number; currentVersion: number; policy: 'rerun' | 'accept' | 'fail' }>;
/** After a map fan-out, `items` are the indices of the items that arrived (the join's output keeps item order). */
export type JoinSatisfied = EngineEvent<'join.satisfied', { nodeId: string; arrived: string[]; mode: string; timedOut: boolean; items?: number[] }>;
export type RouteChosen = EngineEvent<'route.chosen', { nodeId: string; routeId: string; target: string | null }>;
/** `distinctFrom`: approval nodes whose approvers may not decide this one (four eyes). */
export type ApprovalRequested = EngineEvent<'approval.requested', { nodeId: string; approvalId: string; role: string; instructions: string | null; dueAt: string | null; requiredApprovals: number; allowRequester: boolean; onLapse: string; distinctFrom?: string[] }>;
/** A lapsed SLA handed the approval to another role: `role` decides it from `escalatedAt` on, until `dueAt`. */
export type ApprovalEscalated = EngineEvent<'approval.escalated', { nodeId: string; approvalId: string; fromRole: string; role: string; escalatedAt: string; dueAt: string | null }>;
export type ApprovalDecided = EngineEvent<'approval.decided', { nodeId: string; approvalId: string; decision: 'approve' | 'reject'; comment?: string; actor: string; auto?: boolean; n: number }>;
export type TimerScheduled = EngineEvent<'timer.scheduled', { timerId: string; nodeId: string | null; dueAt: string; purpose: 'delay' | 'joinTimeout' | 'approvalSla' | 'deadline' }>;
export type TimerFired = EngineEvent<'timer.fired', { timerId: string }>;
export type ContextPatched = EngineEvent<'context.patched', { patch: Record<string, Json>; reason?: string; nodeId?: string }>;
export type RunCompleted = EngineEvent<'run.completed', { output: Json; endNodeId: string }>;
export type RunFailed = EngineEvent<'run.failed', { reason: string; nodeId?: string; code: string }>;
export type RunCancelled = EngineEvent<'run.cancelled', { reason: string; actor: string }>;
export type RunReopened = EngineEvent<'run.reopened', { nodeId: string; actor: string }>;

export type RunEvent =
  | RunStarted | RunQueued | RunKeyAcquired | RunKeyReleased | NodeCompleted | NodeSkipped | FanOutStarted | FanOutItemStarted | TaskDispatched | TaskCompleted | TaskFailed
  | TaskRetried | TaskStale | JoinSatisfied | RouteChosen | ApprovalRequested | ApprovalEscalated | ApprovalDecided | TimerScheduled | TimerFired
  | ContextPatched | RunCompleted | RunFailed | RunCancelled | RunReopened;

export type RunEventType = RunEvent['type'];
export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  'run.started', 'run.queued', 'run.key_acquired', 'run.key_released', 'node.completed', 'node.skipped', 'fanout.started', 'fanout.item_started', 'task.dispatched', 'task.completed',
  'task.failed', 'task.retried', 'task.stale', 'join.satisfied', 'route.chosen', 'approval.requested', 'approval.escalated', 'approval.decided', 'timer.scheduled',
  'timer.fired', 'context.patched', 'run.completed', 'run.failed', 'run.cancelled', 'run.reopened',
];
const RUN_EVENT_SET = new Set<string>(RUN_EVENT_TYPES);
export function isRunEvent(e: { type: string }): e is RunEvent {
  return RUN_EVENT_SET.has(e.type);
}

/** A committed spine event as the fold reads it (with its entity key). */
export function toRunEvent(e: SpineEvent): RunEvent & { key: string | null } {
  return { type: e.type, payload: e.payload, seq: e.seq, id: e.id, time: e.time, envelopeVersion: e.envelopeVersion, source: e.source, key: e.key } as RunEvent & { key: string | null };
}

/**
 * What decide() returns: an event to append (the log assigns seq, time and envelope version).
 * `causationId` names the event it follows from; `id` is chosen by the planner (plan.ts) before the
 * append, so a decision of the same commit can name this one as its cause. (An approver's vote is a
 * `Vote`, run/evolve.ts; its event, `approval.decided`, is a Decision like any other.)
 */
export type Decision = { type: RunEventType; payload: Json; idempotencyKey: string; key?: string; causationId?: string; id?: string };

/** The input a task.dispatched gave its agent: its own copy, or the run's input it refers to (`inputFrom: 'run'`). */
export function dispatchedInput(payload: { input?: Json; inputFrom?: string } | null | undefined, runInput: Json): Json {
  if (payload?.input !== undefined) return payload.input;
  return payload?.inputFrom === 'run' ? runInput : null;
}

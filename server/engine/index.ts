/**
 * The workflow engine's entry: what the rest of Spine imports from `@/server/engine`. The service
 * (service.ts, `startEngine`) starts, inspects and steers runs; the engine itself (engine.ts) follows the
 * spine and drives each run's actor. How it works, on one page: README.md beside this file.
 */
export { startEngine, runStatusOf, StartRunInput, ApprovalDecisionInput, ContextPatchInput, ForkRunInput } from './service';
export type { EngineService, RunView, PendingApproval, Requester } from './service';
export { Engine, type EngineDeps } from './engine';
export { replayRun, type ReplayVerdict, type ReplayMismatch } from './replay';
export { compareRuns, type RunComparison, type ComparedNode, type ComparedRun, type NodeInRun, type NodeDecision, type NodeDifference } from './compare';
export { mayDecide, approvalView, VOTE_REFUSALS, type ApprovalView, type Voter, type VoteRefusal, type VoteRefusalCode, type MayDecide } from './primitives/approval';
/* What the read models fold a run with: the compiled graph, the run's events and the pure fold. */
export type { CompiledWorkflow } from './graph';
export { toRunEvent, isRunEvent, dispatchedInput, type RunEvent } from './events';
export { applyEvent, initialState, type RunState, type NodeStatus, type Vote } from './run/evolve';
/* W3C trace context: parse a request's, derive a run's spans (run/traceContext.ts). */
export { traceContextOf, parseTraceparent, runTraceOf, nodeSpanId, taskSpanId, toolSpanId, approvalSpanId, type TraceContext, type RunTraceContext } from './run/traceContext';

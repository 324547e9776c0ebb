/**
 * Deterministic ids for side effects. Every agent call, completion, engine decision and run start is keyed
 * by one of these, so a replay after a crash appends nothing twice (the log drops a repeated idempotency
 * key) and an agent sees the same key for the same attempt however often it is called. Every idempotency
 * key the engine writes is built here; the strings are in logs already, so they never change (ids.test.ts).
 * See README.md, "The offset rule", for why replays are safe.
 */

/** The key an agent call carries (HTTP header `Idempotency-Key`, builtin agents, completion dedupe). */
export function idempotencyKey(p: { runId: string; nodeId: string; attempt: number; instance?: number }): string {
  return `${p.runId}:${p.nodeId}${p.instance === undefined ? '' : `#${p.instance}`}:${p.attempt}`;
}

/**
 * The n-th tool call (1-based, in the order the model made them) of an agent call keyed `taskKey`: the key
 * the tool agent is called with, and (under `tool:`) the key of the `task.tool_called` that records it.
 */
export function toolCallKey(taskKey: string, n: number): string {
  return `${taskKey}:tool:${n}`;
}

/** The id of the n-th question an agent asked a person during one task attempt (`task.input_required`). */
export function agentQuestionId(taskKey: string, n: number): string {
  return `${taskKey}:q:${n}`;
}

/** The idempotency key of an engine-emitted event: one per (run, decision). */
export function decisionKey(runId: string, ...parts: (string | number)[]): string {
  return `engine:${runId}:${parts.join(':')}`;
}

/** The start a trigger event makes of a workflow (passed to startRun, so stored as `run:trigger:…`). */
export function triggerStartKey(workflowId: string, eventId: string): string {
  return `trigger:${workflowId}:${eventId}`;
}

/** The `trigger.failed` recorded when a trigger event could not start its workflow. */
export function triggerFailedKey(workflowId: string, eventId: string): string {
  return `trigger.failed:${workflowId}:${eventId}`;
}

/** The start of a scheduled workflow at one cron instant (passed to startRun, so stored as `run:schedule:…`). */
export function scheduleKey(workflowId: string, instantMs: number): string {
  return `schedule:${workflowId}:${instantMs}`;
}

/** A requester's own idempotency key, scoped to them: it can never name a start a trigger or schedule makes. */
export function requesterKey(kind: string, name: string, key: string): string {
  return `by:${kind}:${name}:${key}`;
}

/** The idempotency key of a `run.started`, from the key its start was asked with. */
export function runStartKey(key: string): string {
  return `run:${key}`;
}

export function timerId(purpose: string, nodeId: string | null, n: number | string = 0): string {
  return `${purpose}:${nodeId ?? '-'}:${n}`;
}

/**
 * The id of one item's copy of a node inside a map fan-out's branch: `<nodeId>#<index>`. Node ids cannot
 * contain `#`, so an instance id never collides with a node id. Its agent calls are keyed by it too:
 * `idempotencyKey({ runId, nodeId: instanceId(n, i), attempt })` equals
 * `idempotencyKey({ runId, nodeId: n, instance: i, attempt })`.
 */
export function instanceId(nodeId: string, index: number): string {
  return `${nodeId}#${index}`;
}

/** The node and item index of an instance id; null for a plain node id. */
export function parseInstanceId(id: string): { nodeId: string; index: number } | null {
  const at = id.lastIndexOf('#');
  if (at <= 0) return null;
  const index = Number(id.slice(at + 1));
  return Number.isInteger(index) && index >= 0 ? { nodeId: id.slice(0, at), index } : null;
}

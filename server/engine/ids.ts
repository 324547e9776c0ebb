/**
 * Deterministic ids for side effects. Every agent call, completion and engine decision is keyed by one of
 * these, so a replay after a crash appends nothing twice (the log drops a repeated idempotency key) and an
 * agent sees the same key for the same attempt however often it is called.
 */

/** The key an agent call carries (HTTP header `Idempotency-Key`, builtin agents, completion dedupe). */
export function idempotencyKey(p: { runId: string; nodeId: string; attempt: number; instance?: number }): string {
  return `${p.runId}:${p.nodeId}${p.instance === undefined ? '' : `#${p.instance}`}:${p.attempt}`;
}

/** The idempotency key of an engine-emitted event: one per (run, decision). */
export function decisionKey(runId: string, ...parts: (string | number)[]): string {
  return `engine:${runId}:${parts.join(':')}`;
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

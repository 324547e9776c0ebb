/**
 * The run index: one row per run (workflow, version, key, status, waiting-on, outcome), maintained by the
 * log writer inside the same transaction as the lifecycle event that changes it, like the envelope. So the
 * index can never disagree with the log, even across a crash, and listing or recovering runs never has to
 * scan the log. Only lifecycle events touch it; every other event costs nothing here.
 *
 * Status machine: run.started → running; run.queued → queued (waiting for its entity key);
 * run.key_acquired → running; approval.requested / a delay's timer.scheduled → waiting; approval.decided /
 * timer.fired → running; run.completed / run.failed / run.cancelled → terminal; run.reopened → running.
 */
import type { Json } from './events';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * What a run waits on, structured: the run index stores it, the engine derives it, the list shows it;
 * nothing joins it into a string and splits it again. `id` is the node id (approval, timer, agent) or the key.
 * Two derivations produce it, from what each side has: the engine's `runStatusOf` from a folded RunState (every
 * open wait), the index from the lifecycle event it applies (`waitStartedBy`, the latest wait), since the spine
 * sits below the engine and the writer never folds a run.
 */
export type WaitingOn = { kind: 'approval' | 'timer' | 'key' | 'agent'; id: string };

const WAIT_KINDS: readonly WaitingOn['kind'][] = ['approval', 'timer', 'key', 'agent'];
const isWaitKind = (k: unknown): k is WaitingOn['kind'] => WAIT_KINDS.includes(k as WaitingOn['kind']);

/** The `waiting_on` column: a JSON array of `WaitingOn`, NULL when the run waits on nothing. */
export function waitingOnToColumn(waits: readonly WaitingOn[]): string | null {
  return waits.length === 0 ? null : JSON.stringify(waits.map(({ kind, id }) => ({ kind, id })));
}

/**
 * Reads the `waiting_on` column, tolerantly: a JSON array (written since the index stores it structured)
 * or the `"<kind> <id>"` string that older databases still hold (`"approval gate"`, `"key room:1"`).
 * Anything else reads as waiting on nothing.
 */
export function waitingOnFromColumn(text: string | null): WaitingOn[] {
  if (!text) return [];
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) return [];
      return parsed.flatMap((w: { kind?: unknown; id?: unknown } | null) =>
        w && isWaitKind(w.kind) && typeof w.id === 'string' ? [{ kind: w.kind, id: w.id }] : [],
      );
    } catch {
      return [];
    }
  }
  const [kind, ...rest] = text.split(' ');
  return isWaitKind(kind) ? [{ kind, id: rest.join(' ') }] : [];
}

export type RunIndexRow = {
  id: string;
  workflowId: string;
  version: number;
  status: RunStatus;
  key: string | null;
  startedSeq: number;
  lastSeq: number;
  startedBy: string | null;
  /** What the run waits on (an approval, a delay's timer or its entity key); empty when it waits on nothing. */
  waitingOn: WaitingOn[];
  output: string | null;
  error: string | null;
  startedAtMs: number;
  updatedAtMs: number;
  endedAtMs: number | null;
};

const LIFECYCLE = new Set([
  'run.started', 'run.queued', 'run.key_acquired', 'approval.requested', 'approval.decided', 'timer.scheduled', 'timer.fired',
  'run.completed', 'run.failed', 'run.cancelled', 'run.reopened',
]);

export function touchesRunIndex(type: string): boolean {
  return LIFECYCLE.has(type);
}

type Input = { type: string; runId: string | null; key: string | null; payload: Json; seq: number; timeMs: number };

const obj = (p: Json): Record<string, Json> => (p !== null && typeof p === 'object' && !Array.isArray(p) ? p : {});
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

/** The one wait a lifecycle event starts, as the index records it (the event names the node; a queued run waits on its key). */
function waitStartedBy(type: 'run.queued' | 'approval.requested' | 'timer.scheduled', p: Record<string, Json>, key: string | null): WaitingOn[] {
  if (type === 'run.queued') return [{ kind: 'key', id: key ?? '' }];
  return [{ kind: type === 'approval.requested' ? 'approval' : 'timer', id: str(p.nodeId) ?? '' }];
}

export function evolveRunIndex(current: RunIndexRow | undefined, e: Input): RunIndexRow | undefined {
  if (!e.runId || !LIFECYCLE.has(e.type)) return undefined;
  const p = obj(e.payload);
  if (e.type === 'run.started') {
    if (current || typeof p.workflowId !== 'string' || typeof p.version !== 'number') return undefined;
    return {
      id: e.runId, workflowId: p.workflowId, version: p.version, status: 'running', key: e.key, startedSeq: e.seq, lastSeq: e.seq,
      startedBy: str(p.startedBy), waitingOn: [], output: null, error: null, startedAtMs: e.timeMs, updatedAtMs: e.timeMs, endedAtMs: null,
    };
  }
  if (!current) return undefined;
  const terminal = TERMINAL_STATUSES.includes(current.status);
  const next = { ...current, lastSeq: e.seq, updatedAtMs: e.timeMs };
  switch (e.type) {
    case 'run.queued':
      return terminal ? undefined : { ...next, status: 'queued', waitingOn: waitStartedBy(e.type, p, current.key) };
    case 'run.key_acquired':
      return terminal ? undefined : { ...next, status: 'running', waitingOn: [] };
    case 'approval.requested':
      return terminal ? undefined : { ...next, status: 'waiting', waitingOn: waitStartedBy(e.type, p, current.key) };
    case 'timer.scheduled':
      return terminal || p.purpose !== 'delay' ? undefined : { ...next, status: 'waiting', waitingOn: waitStartedBy(e.type, p, current.key) };
    case 'approval.decided':
    case 'timer.fired':
      return terminal || current.status !== 'waiting' ? undefined : { ...next, status: 'running', waitingOn: [] };
    case 'run.completed':
      return terminal ? undefined : { ...next, status: 'completed', waitingOn: [], output: JSON.stringify(p.output ?? null), endedAtMs: e.timeMs };
    case 'run.failed':
      return terminal ? undefined : { ...next, status: 'failed', waitingOn: [], error: str(p.reason) ?? 'failed', endedAtMs: e.timeMs };
    case 'run.cancelled':
      return terminal ? undefined : { ...next, status: 'cancelled', waitingOn: [], error: str(p.reason), endedAtMs: e.timeMs };
    case 'run.reopened':
      return terminal ? { ...next, status: 'running', waitingOn: [], error: null, endedAtMs: null } : undefined;
    default:
      return undefined;
  }
}

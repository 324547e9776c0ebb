/**
 * What an evaluation reports, computed from two runs' logs alone: the origin (a completed run) and its fork
 * (the same run again from the evaluated agent's first task, with the candidate version). Pure: no I/O, so
 * the table an evaluation shows is a function of the recorded events, and a unit test states it.
 *
 * - outcome: the run's terminal status and its output; the same outcome = same status, deep-equal output;
 * - changed: agent nodes whose last recorded output differs (or that completed on one side only);
 * - contract violations: the fork's tasks that failed because an output broke its agent's output schema
 *   (the dispatcher's OutputContractError, recorded as `task.failed`);
 * - tokens: every task's input + output tokens (a reused node carries its recorded tokens, so only what ran
 *   again makes a difference); latency: the summed task time of the nodes the fork ran again, on each side.
 */
import { canonicalJson, type Json, type SpineEvent } from '@/server/spine';

export const EVALUATION_ROW_STATES = ['compared', 'skipped', 'error'] as const;
export type EvaluationRowState = (typeof EVALUATION_ROW_STATES)[number];

/** One origin run and its fork, compared. */
export type EvaluationRow = {
  origin: string;
  fork: string | null;
  state: EvaluationRowState;
  /** Why a run was skipped or could not be compared, or why its fork was stopped (it would wait for a person, or took too long). */
  reason?: string;
  originStatus: string;
  /** The fork's terminal status; `running` / `waiting` when it had not ended within the evaluation's time limit. */
  forkStatus: string | null;
  sameOutcome: boolean;
  /** Agent nodes whose output differs. */
  changed: string[];
  contractViolations: { nodeId: string; error: string }[];
  tokens: { before: number; after: number };
  latencyMs: { before: number; after: number };
};

export type EvaluationSummary = {
  runs: number;
  compared: number;
  skipped: number;
  sameOutcome: number;
  differentOutcome: number;
  /** Runs in which at least one node's output changed. */
  changed: number;
  /** Runs in which the candidate broke a contract. */
  brokeContract: number;
  /** Compared runs whose fork did not complete (failed, cancelled, or stopped waiting). */
  failed: number;
  tokens: { before: number; after: number; delta: number };
  /** The median over compared runs of the fork's re-run task time, and of the same nodes in the origin. */
  latencyP50Ms: { before: number | null; after: number | null };
};

const TERMINAL: Record<string, string> = { 'run.completed': 'completed', 'run.failed': 'failed', 'run.cancelled': 'cancelled' };
type TaskPayload = { nodeId: string; output?: Json; durationMs?: number; inputTokens?: number; outputTokens?: number; reused?: boolean; error?: string };

/** The prefix of every OutputContractError message (server/agents/schemas.ts `checkAgentOutput`). */
export const CONTRACT_ERROR_PREFIX = 'output breaks the output schema of';

/** A run's terminal status and output, from its log (`running` when it has not ended). */
export function outcomeOf(events: readonly SpineEvent[]): { status: string; output: Json | null } {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const status = TERMINAL[e.type];
    if (status) return { status, output: ((e.payload as { output?: Json }).output ?? null) as Json | null };
  }
  return { status: 'running', output: null };
}

/** Each agent node's last recorded output. */
function outputsOf(events: readonly SpineEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) if (e.type === 'task.completed') out.set((e.payload as TaskPayload).nodeId, canonicalJson((e.payload as TaskPayload).output ?? null));
  return out;
}

const isTaskEnd = (e: SpineEvent) => e.type === 'task.completed' || e.type === 'task.failed';
const tokensOf = (events: readonly SpineEvent[]) =>
  events.filter(isTaskEnd).reduce((n, e) => n + (Number((e.payload as TaskPayload).inputTokens) || 0) + (Number((e.payload as TaskPayload).outputTokens) || 0), 0);
const timeOf = (events: readonly SpineEvent[], nodes: ReadonlySet<string>) =>
  events.filter((e) => isTaskEnd(e) && nodes.has((e.payload as TaskPayload).nodeId)).reduce((n, e) => n + (Number((e.payload as TaskPayload).durationMs) || 0), 0);

/** The origin and its fork compared (the fork's log may not have ended: its status then says so). */
export function compareRuns(origin: readonly SpineEvent[], fork: readonly SpineEvent[]): Omit<EvaluationRow, 'origin' | 'fork' | 'state'> {
  const before = outcomeOf(origin);
  const after = outcomeOf(fork);
  const a = outputsOf(origin);
  const b = outputsOf(fork);
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((n) => a.get(n) !== b.get(n)).sort();
  const contractViolations = fork
    .filter((e) => e.type === 'task.failed' && String((e.payload as TaskPayload).error ?? '').startsWith(CONTRACT_ERROR_PREFIX))
    .map((e) => ({ nodeId: (e.payload as TaskPayload).nodeId, error: String((e.payload as TaskPayload).error) }));
  // The nodes the fork ran again (not answered from the record): their time on each side.
  const rerun = new Set(fork.filter((e) => isTaskEnd(e) && (e.payload as TaskPayload).reused !== true).map((e) => (e.payload as TaskPayload).nodeId));
  return {
    originStatus: before.status,
    forkStatus: after.status,
    sameOutcome: before.status === after.status && canonicalJson(before.output) === canonicalJson(after.output),
    changed,
    contractViolations,
    tokens: { before: tokensOf(origin), after: tokensOf(fork) },
    latencyMs: { before: timeOf(origin, rerun), after: timeOf(fork, rerun) },
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/** The summary line of an evaluation's rows. */
export function summarize(rows: readonly EvaluationRow[]): EvaluationSummary {
  const compared = rows.filter((r) => r.state === 'compared');
  const before = compared.reduce((n, r) => n + r.tokens.before, 0);
  const after = compared.reduce((n, r) => n + r.tokens.after, 0);
  return {
    runs: rows.length,
    compared: compared.length,
    skipped: rows.filter((r) => r.state !== 'compared').length,
    sameOutcome: compared.filter((r) => r.sameOutcome).length,
    differentOutcome: compared.filter((r) => !r.sameOutcome).length,
    changed: compared.filter((r) => r.changed.length > 0).length,
    brokeContract: compared.filter((r) => r.contractViolations.length > 0).length,
    failed: compared.filter((r) => r.forkStatus !== 'completed').length,
    tokens: { before, after, delta: after - before },
    latencyP50Ms: { before: median(compared.map((r) => r.latencyMs.before)), after: median(compared.map((r) => r.latencyMs.after)) },
  };
}

/**
 * What the engine hands the log, and what it gets back: decisions, people's commands and run starts as
 * `AppendInput`s (each with its source, cause and entity key), and an append result as the committed event
 * every reader will see. Pure functions; the shell (engine.ts) and the run actor (runActor.ts) append.
 * See README.md for the echo rule these committed events serve.
 */
import { ENGINE_SOURCE, type AppendInput, type AppendResult, type Json, type SpineEvent } from '@/server/spine';
import type { Decision, RunStarted } from './events';
import type { CompiledWorkflow } from './graph';
import { runStartKey } from './ids';
import { causeOf } from './run/decideContext';
import type { TraceContext } from './run/traceContext';
import type { RunState } from './run/evolve';

/** Who appends a person's command or a fact from outside the engine's loop. */
export type Source = { kind: 'user' | 'apiKey' | 'system' | 'agent'; name: string };

/** An event a person's command appends (no idempotency key for a context patch). */
export type CommandEvent = Omit<Decision, 'idempotencyKey'> & { idempotencyKey?: string };

/** Asks the engine to start a run of a published workflow (whatever its trigger). */
export type StartRunRequest = {
  workflowId: string; version?: number; input?: Json; intent?: string; constraints?: Record<string, Json>; deadline?: string;
  key?: string; idempotencyKey?: string; causationId?: string; startedBy: string; startedByKind?: Source['kind']; trigger?: RunStarted['payload']['trigger'];
  /** The W3C trace context of the request that asked (its `traceparent`): the run joins that trace. */
  trace?: TraceContext;
  /** A fork: its origin and the recorded outputs it reuses (service.forkRun). */
  fork?: RunStarted['payload']['fork'];
  /** The shared state the run starts with (a fork's patched envelope). */
  state?: Record<string, Json>;
};

/** A run started by a trigger event is the engine's act; any other start is the person's or key's who asked. */
function startSource(req: StartRunRequest): AppendInput['source'] {
  return req.trigger?.kind === 'event' ? ENGINE_SOURCE : { kind: req.startedByKind ?? 'user', name: req.startedBy };
}

/** The one `run.started` append of a start: its source, entity key, cause and (when asked with one) idempotency key. */
export function runStartedInput(runId: string, payload: RunStarted['payload'], req: StartRunRequest, opts: { id?: string } = {}): AppendInput {
  return {
    type: 'run.started', ...(opts.id !== undefined && { id: opts.id }), runId, payload: payload as unknown as Json, source: startSource(req),
    ...(req.key !== undefined && { key: req.key }),
    ...(req.idempotencyKey !== undefined && { idempotencyKey: runStartKey(req.idempotencyKey) }),
    ...(req.causationId !== undefined && { causationId: req.causationId }),
  };
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

/** Decisions made outside the engine's own loop (API commands such as a manual retry), under the requester's name. */
export function factInputs(runId: string, decisions: Decision[], source: Source): AppendInput[] {
  return decisions.map((d) => ({ type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source, ...(d.causationId && { causationId: d.causationId }), ...(d.key && { key: d.key }) }));
}

function agentOf(wf: CompiledWorkflow, d: Decision): string {
  const nodeId = (d.payload as { nodeId?: string }).nodeId;
  const node = nodeId ? wf.nodes.get(nodeId) : undefined;
  return node?.kind === 'agent' ? node.config.agent : ENGINE_SOURCE.name;
}

/** Who records a decision: the agent whose result it is, else the engine. */
export function decisionSource(wf: CompiledWorkflow, d: Decision): { kind: 'agent' | 'engine'; name: string } {
  return d.type === 'task.completed' || d.type === 'task.failed' ? { kind: 'agent', name: agentOf(wf, d) } : ENGINE_SOURCE;
}

/**
 * The one way the engine turns decisions into appends: each carries the id chosen for it when it was
 * decided (its effects in the same commit name it as their cause), its cause and its source.
 */
export function decisionInputs(wf: CompiledWorkflow, runId: string, decisions: Decision[], opts: { basedOnIndex?: number } = {}): AppendInput[] {
  return decisions.map((d) => ({
    type: d.type, runId, payload: d.payload, idempotencyKey: d.idempotencyKey, source: decisionSource(wf, d),
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

/**
 * The committed events an append stands for, as every reader will see them, one per result in order.
 * `basedOnSeq`: the seq the log wrote into dispatches appended with `basedOnIndex` (the state folds the same).
 */
export function committedEvents(inputs: AppendInput[], results: AppendResult[], runId: string, nowMs: number, basedOnSeq?: number): SpineEvent[] {
  return results.map((r, i) => committed(inputs[i]!, r, runId, nowMs, basedOnSeq));
}

/** The committed event one append result stands for. */
export function committed(input: AppendInput, r: AppendResult, runId: string, nowMs: number, basedOnSeq?: number): SpineEvent {
  let payload = input.payload as Json;
  if (input.basedOnIndex !== undefined && basedOnSeq !== undefined && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) payload = { ...payload, basedOnSeq };
  return {
    seq: r.seq, id: r.id, type: input.type, key: input.key ?? null, runId, causationId: input.causationId ?? null, source: input.source as SpineEvent['source'],
    time: r.time ?? new Date(nowMs).toISOString(), envelopeVersion: r.envelopeVersion ?? null, payload, idempotencyKey: input.idempotencyKey ?? null, prevHash: '', hash: '',
  };
}

/**
 * The reasoning path of a result: every step it depends on, from the user's intent and the trigger to the
 * event asked about, each with who did it (agent, person or the engine), what it was given, what it
 * produced, the envelope version it read and when. Pure: built from a RunTrace (runTrace.ts).
 *
 * The walk goes back along the trace's causes: the recorded `causationId` chain (each event names the
 * one it follows from, down to run.started, which names the event that triggered the run), plus what an
 * event records itself (the inputs a join names, the context versions a step read). It collects every
 * ancestor of the target event and groups them into hops: one per node (an agent's attempts, an
 * approval's request and decisions together), one for the run's start, one per outside change to the
 * context. Events recorded without `causationId` (older histories) are linked by inference from the
 * workflow graph instead; such hop links are marked `inferred`, and the path counts them. The path is
 * `complete` when every hop reaches back to the run's start and the trigger event, if there was one, was
 * found.
 */
import type { Json, SpineEvent } from '@/server/spine';
import { dispatchedInput, type CompiledWorkflow } from '@/server/engine';
import type { NodeKind } from '@/server/workflows/schema';
import { ancestorsOf, nodeOf, type CauseRelation, type RunTrace } from './runTrace';

export const HOP_KINDS = ['trigger', 'start', 'queue', 'agent', 'approval', 'join', 'router', 'fanOut', 'delay', 'setContext', 'end', 'context', 'event'] as const;
export type HopKind = (typeof HOP_KINDS)[number];

export type HopAttempt = {
  attempt: number;
  dispatchedSeq: number;
  dispatchedAt: string;
  envelopeVersion: number | null;
  input: Json;
  outcome: 'completed' | 'failed' | 'stale' | 'running';
  endedSeq: number | null;
  endedAt: string | null;
  durationMs: number | null;
  output?: Json;
  error?: string;
  /** Tool calls the agent made during the attempt (an LLM agent calling other Spine agents), in order. */
  tools?: HopToolCall[];
};

/** One `task.tool_called`: the agent called, with what, what it returned (or its error), how long it took. */
export type HopToolCall = { seq: number; tool: string; round: number; arguments: Json; output: Json | null; error?: string; durationMs: number | null; inputTokens?: number; outputTokens?: number };

export type Hop = {
  id: string;
  kind: HopKind;
  nodeId: string | null;
  label: string;
  /** Who acted: the agent, the person, or the engine. */
  actor: { kind: string; name: string };
  startedAt: string;
  endedAt: string;
  durationMs: number;
  envelopeVersion: number | null;
  inputs: Json | null;
  outputs: Json | null;
  /** Agent hops: every attempt in the path (failed and stale ones too). */
  attempts: HopAttempt[];
  /** Seqs of the events this hop groups, ascending. */
  events: number[];
  /** Hops this one depends on, with how; `inferred` when no link between the two was recorded in the log. */
  causes: HopCause[];
  detail: Record<string, Json>;
};

export type HopCause = { hop: string; relation: CauseRelation; inferred: boolean };

export type ReasoningPath = {
  runId: string;
  target: { seq: number; id: string; type: string };
  intent: string | null;
  startedBy: string | null;
  /** Hops in the order they happened (by first event). */
  hops: Hop[];
  /** The hop that holds the target event. */
  targetHop: string;
  /** Highest envelope version any hop read. */
  maxEnvelopeVersion: number;
  complete: boolean;
  /** How the hops' links are known: read from the log (causationId and the events' own fields) or inferred. */
  links: { recorded: number; inferred: number };
  /** What made the path incomplete, for people. */
  gaps: string[];
};

const obj = (p: Json): Record<string, Json> => (p !== null && typeof p === 'object' && !Array.isArray(p) ? p : {});
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function hopKey(e: SpineEvent, wf: CompiledWorkflow | null): { id: string; kind: HopKind; nodeId: string | null } {
  if (e.type === 'run.started') return { id: 'start', kind: 'start', nodeId: null };
  if (e.type === 'run.queued' || e.type === 'run.key_acquired') return { id: 'queue', kind: 'queue', nodeId: null };
  const p = obj(e.payload);
  if (e.type === 'context.patched' && p.reason !== 'setContext' && p.reason !== 'output') return { id: `context:${e.seq}`, kind: 'context', nodeId: null };
  if (e.type === 'run.failed' || e.type === 'run.cancelled' || e.type === 'run.reopened') return { id: `event:${e.seq}`, kind: 'event', nodeId: nodeOf(e) ?? null };
  const nodeId = nodeOf(e);
  if (nodeId && wf?.nodes.has(nodeId)) {
    const kind = wf.nodes.get(nodeId)!.kind as NodeKind;
    return { id: `node:${nodeId}`, kind: kind === 'trigger' ? 'trigger' : kind, nodeId };
  }
  if (e.type === 'timer.fired' || e.type === 'timer.scheduled') return { id: `event:${e.seq}`, kind: 'event', nodeId: nodeId ?? null };
  return { id: `event:${e.seq}`, kind: 'event', nodeId: nodeId ?? null };
}

export function buildReasoningPath(trace: RunTrace, wf: CompiledWorkflow | null, targetSeq: number): ReasoningPath {
  const target = trace.bySeq.get(targetSeq);
  if (!target) throw new Error(`event ${targetSeq} is not part of run ${trace.runId}`);
  const included = ancestorsOf(trace, targetSeq);
  // An agent's tool calls are steps of its attempt (caused by its dispatch, not ancestors of its result).
  for (const seq of [...included]) {
    if (trace.bySeq.get(seq)?.type !== 'task.dispatched') continue;
    for (const l of trace.effects.get(seq) ?? []) if (trace.bySeq.get(l.seq)?.type === 'task.tool_called') included.add(l.seq);
  }
  // Timers that only carried a retry belong with the agent hop they re-ran.
  const hopOf = new Map<number, string>();
  const groups = new Map<string, { kind: HopKind; nodeId: string | null; events: SpineEvent[] }>();
  for (const seq of [...included].sort((a, b) => a - b)) {
    const e = trace.bySeq.get(seq)!;
    let k = hopKey(e, wf);
    if (e.type === 'timer.fired') {
      const scheduler = (trace.causes.get(seq) ?? []).map((c) => trace.bySeq.get(c.seq)).find(Boolean);
      if (scheduler) {
        const sk = hopKey(scheduler, wf);
        if (sk.kind !== 'event') k = sk;
      }
    }
    hopOf.set(seq, k.id);
    const g = groups.get(k.id) ?? { kind: k.kind, nodeId: k.nodeId, events: [] };
    g.events.push(e);
    groups.set(k.id, g);
  }

  const start = trace.startSeq !== null ? trace.bySeq.get(trace.startSeq) : undefined;
  const startPayload = obj(start?.payload ?? null);
  const hops: Hop[] = [];
  for (const [id, g] of groups) {
    const events = g.events;
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const node = g.nodeId && wf ? wf.nodes.get(g.nodeId) : undefined;
    // A hop link is recorded if any event link behind it is; its relation is the first such link's.
    const causeHops = new Map<string, HopCause>();
    for (const e of events)
      for (const c of trace.causes.get(e.seq) ?? []) {
        const h = hopOf.get(c.seq);
        if (!h || h === id) continue;
        const known = causeHops.get(h);
        if (!known || (known.inferred && !c.inferred)) causeHops.set(h, { hop: h, relation: c.relation, inferred: c.inferred });
      }
    const hop: Hop = {
      id,
      kind: g.kind,
      nodeId: g.nodeId,
      label: node?.label ?? g.nodeId ?? labelOf(first),
      actor: { kind: first.source.kind, name: first.source.name },
      startedAt: first.time,
      endedAt: last.time,
      durationMs: Date.parse(last.time) - Date.parse(first.time),
      envelopeVersion: first.envelopeVersion,
      inputs: null,
      outputs: null,
      attempts: [],
      events: events.map((e) => e.seq),
      causes: [...causeHops.values()],
      detail: {},
    };
    describe(hop, events, startPayload);
    hops.push(hop);
  }
  hops.sort((a, b) => a.events[0]! - b.events[0]!);

  const gaps: string[] = [];
  const startHop = hops.find((h) => h.kind === 'start');
  if (!startHop) gaps.push('The run.started event of this run is missing from the log.');
  for (const h of hops) if (h.kind !== 'start' && h.kind !== 'context' && h.causes.length === 0) gaps.push(`No recorded cause for “${h.label}” (${h.id}).`);
  // The trigger event lies outside the run: the caller resolves it and adds it (see withTriggerEvent).
  return {
    runId: trace.runId,
    target: { seq: target.seq, id: target.id, type: target.type },
    intent: str(startPayload.intent) ?? null,
    startedBy: str(startPayload.startedBy) ?? null,
    hops,
    targetHop: hopOf.get(targetSeq)!,
    maxEnvelopeVersion: Math.max(1, ...hops.map((h) => h.envelopeVersion ?? 1), ...hops.flatMap((h) => h.attempts.map((a) => a.envelopeVersion ?? 1))),
    complete: gaps.length === 0,
    links: {
      recorded: hops.reduce((n, h) => n + h.causes.filter((c) => !c.inferred).length, 0),
      inferred: hops.reduce((n, h) => n + h.causes.filter((c) => c.inferred).length, 0),
    },
    gaps,
  };
}

/** Adds the event outside the run that triggered it as the first hop (or records that it is missing). */
export function withTriggerEvent(path: ReasoningPath, trigger: SpineEvent | null, expected: { id: string | null; seq: number | null } | null): ReasoningPath {
  if (!expected) return path;
  const start = path.hops.find((h) => h.kind === 'start');
  if (!trigger) {
    const gaps = [...path.gaps, `The event that triggered this run (${expected.id ?? `seq ${expected.seq}`}) is not in the log.`];
    return { ...path, gaps, complete: false };
  }
  const hop: Hop = {
    id: `external:${trigger.seq}`,
    kind: 'trigger',
    nodeId: null,
    label: trigger.type,
    actor: { kind: trigger.source.kind, name: trigger.source.name },
    startedAt: trigger.time,
    endedAt: trigger.time,
    durationMs: 0,
    envelopeVersion: trigger.envelopeVersion,
    inputs: null,
    outputs: trigger.payload,
    attempts: [],
    events: [trigger.seq],
    causes: [],
    detail: { key: trigger.key, type: trigger.type },
  };
  // run.started names its trigger by causationId (or by trigger.eventSeq in its payload): recorded either way.
  const hops = path.hops.map((h) => (h === start ? { ...h, causes: [{ hop: hop.id, relation: 'trigger' as const, inferred: false }, ...h.causes] } : h));
  return { ...path, hops: [hop, ...hops], links: { ...path.links, recorded: path.links.recorded + (start ? 1 : 0) } };
}

function labelOf(e: SpineEvent): string {
  switch (e.type) {
    case 'run.started':
      return 'Run started';
    case 'context.patched':
      return 'Context changed';
    case 'run.failed':
      return 'Run failed';
    case 'run.cancelled':
      return 'Run cancelled';
    case 'run.reopened':
      return 'Run reopened';
    default:
      return e.type;
  }
}

/** Fills a hop's inputs, outputs, attempts and actor from its events. */
function describe(hop: Hop, events: SpineEvent[], start: Record<string, Json>) {
  const p = (e: SpineEvent) => obj(e.payload);
  switch (hop.kind) {
    case 'start': {
      const e = events.find((x) => x.type === 'run.started')!;
      hop.label = 'Run started';
      hop.actor = { kind: 'user', name: str(start.startedBy) ?? e.source.name };
      hop.inputs = start.input ?? null;
      hop.detail = {
        intent: start.intent ?? null,
        constraints: start.constraints ?? null,
        deadline: start.deadline ?? null,
        trigger: start.trigger ?? null,
        workflow: str(start.workflowSlug) ?? null,
        version: start.version ?? null,
      };
      return;
    }
    case 'agent': {
      const attempts = new Map<number, HopAttempt>();
      for (const e of events) {
        const q = p(e);
        const n = typeof q.attempt === 'number' ? q.attempt : 1;
        if (e.type === 'task.dispatched') {
          attempts.set(n, { attempt: n, dispatchedSeq: e.seq, dispatchedAt: e.time, envelopeVersion: e.envelopeVersion, input: dispatchedInput(q, start.input ?? null), outcome: 'running', endedSeq: null, endedAt: null, durationMs: null });
          hop.actor = { kind: 'agent', name: str(q.agent) ?? hop.actor.name };
        }
        const a = attempts.get(n);
        if (!a) continue;
        if (e.type === 'task.completed') Object.assign(a, { outcome: 'completed', endedSeq: e.seq, endedAt: e.time, durationMs: q.durationMs ?? null, output: q.output ?? null });
        if (e.type === 'task.failed') Object.assign(a, { outcome: 'failed', endedSeq: e.seq, endedAt: e.time, durationMs: q.durationMs ?? null, error: str(q.error) ?? 'failed' });
        if (e.type === 'task.tool_called') {
          const num = (v: Json | undefined) => (typeof v === 'number' ? v : undefined);
          const call: HopToolCall = { seq: e.seq, tool: str(q.tool) ?? '?', round: num(q.round) ?? 1, arguments: q.arguments ?? null, output: q.output ?? null, durationMs: num(q.durationMs) ?? null };
          if (str(q.error)) call.error = str(q.error)!;
          if (num(q.inputTokens) !== undefined) Object.assign(call, { inputTokens: num(q.inputTokens), outputTokens: num(q.outputTokens) ?? 0 });
          (a.tools ??= []).push(call);
        }
        if (e.type === 'task.stale' && a.outcome === 'running') Object.assign(a, { outcome: 'stale', endedSeq: e.seq, endedAt: e.time, error: `based on envelope v${q.basedOnVersion}, context is now v${q.currentVersion}` });
      }
      hop.attempts = [...attempts.values()].sort((x, y) => x.attempt - y.attempt);
      const final = hop.attempts[hop.attempts.length - 1];
      if (final) {
        hop.inputs = final.input;
        hop.outputs = final.output ?? (final.error ? { error: final.error } : null);
        hop.envelopeVersion = final.envelopeVersion;
        hop.startedAt = hop.attempts[0]!.dispatchedAt;
      }
      const patch = events.find((e) => e.type === 'context.patched');
      if (patch) hop.detail = { wroteContext: p(patch).patch ?? null, contextVersion: patch.envelopeVersion };
      return;
    }
    case 'approval': {
      const req = events.find((e) => e.type === 'approval.requested');
      const decisions = events.filter((e) => e.type === 'approval.decided');
      if (req) hop.inputs = { role: p(req).role ?? null, instructions: p(req).instructions ?? null, requiredApprovals: p(req).requiredApprovals ?? 1 };
      if (decisions.length) {
        const last = decisions[decisions.length - 1]!;
        hop.actor = { kind: last.source.kind, name: str(p(last).actor) ?? last.source.name };
        hop.outputs = { decisions: decisions.map((d) => ({ actor: p(d).actor ?? d.source.name, decision: p(d).decision ?? null, comment: p(d).comment ?? null, at: d.time })) };
      }
      return;
    }
    case 'router': {
      const chosen = events.find((e) => e.type === 'route.chosen');
      if (chosen) hop.outputs = { route: p(chosen).routeId ?? null, target: p(chosen).target ?? null };
      return;
    }
    case 'join': {
      const j = events.find((e) => e.type === 'join.satisfied');
      if (j) hop.outputs = { arrived: p(j).arrived ?? [], mode: p(j).mode ?? null, timedOut: p(j).timedOut ?? false };
      return;
    }
    case 'fanOut': {
      const f = events.find((e) => e.type === 'fanout.started');
      if (f) hop.outputs = { branches: p(f).branches ?? [] };
      return;
    }
    case 'setContext':
    case 'context': {
      const c = events.find((e) => e.type === 'context.patched');
      if (c) {
        hop.outputs = { patch: p(c).patch ?? null };
        hop.envelopeVersion = c.envelopeVersion;
        if (hop.kind === 'context') hop.label = `Context changed to v${c.envelopeVersion}`;
      }
      return;
    }
    case 'end': {
      const c = events.find((e) => e.type === 'run.completed');
      if (c) hop.outputs = p(c).output ?? null;
      return;
    }
    case 'delay': {
      const s = events.find((e) => e.type === 'timer.scheduled');
      if (s) hop.inputs = { dueAt: p(s).dueAt ?? null };
      return;
    }
    case 'queue': {
      const q = events.find((e) => e.type === 'run.queued');
      hop.label = 'Waited for the entity key';
      if (q) hop.inputs = { key: p(q).key ?? null };
      return;
    }
    case 'trigger':
    case 'event':
      hop.outputs = events.length === 1 ? events[0]!.payload : null;
      return;
  }
}

/**
 * Spans from the log: folds committed events into the finished spans of each run's trace (pure, no I/O,
 * no clock: every time is an event's). The ids are the ones the run recorded or derives
 * (server/engine/run/traceContext.ts): the run span is `run.started`'s `trace`, a task span is its
 * `task.dispatched`'s `trace` (the one its agent received, so the agent's own spans nest under it), and
 * node and approval-wait spans are derived from the trace id and their ids.
 *
 * - run span: `run.started` → `run.completed` / `run.failed` / `run.cancelled` (parent: the caller's span);
 * - node span (agent nodes): first dispatch → the node's completion or end (parent: the run span);
 * - task span (one per attempt): `task.dispatched` → `task.completed` / `task.failed` (parent: the node span),
 *   with the GenAI attributes when the agent recorded a model and tokens (an LLM agent);
 * - tool span: each `task.tool_called` of an LLM agent, as long as the call took, under its task's span;
 * - approval-wait span: `approval.requested` → the approval's outcome (parent: the run span).
 * A span still open when its run ends ends with the run. Runs without a trace (started before tracing)
 * give no spans, and neither does a reopened run's later life (its run span has ended).
 */
import type { SpineEvent } from '@/server/spine';
import { approvalSpanId, nodeSpanId, parseTraceparent, runTraceOf, toolSpanId, type TraceContext } from '@/server/engine';

export type SpanStatus = 'ok' | 'error' | 'unset';
export type SpanAttributes = Record<string, string | number | boolean>;

/** A finished span, as the exporter hands it to OpenTelemetry. Times in epoch ms. */
export type SpanRecord = {
  traceId: string;
  spanId: string;
  /** Absent for a run span that started a new trace. */
  parentSpanId?: string;
  /** The trace's sampled flag (W3C `traceparent` flags): false when the caller did not sample it. */
  sampled: boolean;
  tracestate?: string;
  name: string;
  kind: 'internal' | 'client';
  startMs: number;
  endMs: number;
  status: SpanStatus;
  statusMessage?: string;
  attributes: SpanAttributes;
};

type Open = { spanId: string; startMs: number; name: string; attributes: SpanAttributes; parentSpanId: string; kind: SpanRecord['kind'] };
type RunSpans = {
  traceId: string; spanId: string; parentSpanId?: string; sampled: boolean; tracestate?: string; startMs: number; attributes: SpanAttributes;
  nodes: Map<string, Open>; tasks: Map<string, Open & { agent: string }>; approvals: Map<string, Open & { required: number; approvers: Set<string> }>;
};

type P = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** GenAI semantic conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/), as the attribute names say. */
const GEN_AI = {
  operation: 'gen_ai.operation.name', requestModel: 'gen_ai.request.model', inputTokens: 'gen_ai.usage.input_tokens', outputTokens: 'gen_ai.usage.output_tokens', agentName: 'gen_ai.agent.name',
  toolName: 'gen_ai.tool.name', toolCallId: 'gen_ai.tool.call.id', toolType: 'gen_ai.tool.type',
} as const;

export class RunSpanBuilder {
  private readonly runs = new Map<string, RunSpans>();

  /** Whether the builder follows this run (it saw its run.started). */
  knows(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Runs followed now. */
  get size(): number {
    return this.runs.size;
  }

  /** Tasks dispatched and not yet finished, over every run followed (the task queue's depth). */
  openTasks(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.tasks.size;
    return n;
  }

  /** Folds one committed event in; returns the spans it finished. */
  apply(e: SpineEvent): SpanRecord[] {
    if (!e.runId) return [];
    const at = Date.parse(e.time);
    const p = (e.payload !== null && typeof e.payload === 'object' && !Array.isArray(e.payload) ? e.payload : {}) as P;
    if (e.type === 'run.started') {
      const trace = runTraceOf(e.payload);
      const tp = parseTraceparent(trace?.traceparent);
      if (!trace || !tp) return [];
      const trigger = (p.trigger ?? {}) as P;
      this.runs.set(e.runId, {
        traceId: tp.traceId, spanId: tp.spanId, sampled: tp.sampled, startMs: at,
        ...(trace.parentSpanId && { parentSpanId: trace.parentSpanId }), ...(trace.tracestate && { tracestate: trace.tracestate }),
        attributes: { 'spine.run.id': e.runId, 'spine.workflow.id': str(p.workflowId) ?? '', 'spine.workflow.slug': str(p.workflowSlug) ?? '', 'spine.workflow.version': num(p.version) ?? 0, 'spine.run.trigger': str(trigger.kind) ?? 'api', 'spine.run.started_by': str(p.startedBy) ?? '', ...(e.key && { 'spine.run.key': e.key }), ...(str(p.intent) && { 'spine.run.intent': str(p.intent)! }) },
        nodes: new Map(), tasks: new Map(), approvals: new Map(),
      });
      return [];
    }
    const r = this.runs.get(e.runId);
    if (!r) return [];
    const out: SpanRecord[] = [];
    const nodeId = str(p.nodeId) ?? '';
    switch (e.type) {
      case 'task.dispatched': {
        const attempt = num(p.attempt) ?? 1;
        const span = parseTraceparent((p.trace as TraceContext | undefined)?.traceparent);
        if (!span) return [];
        const agent = str(p.agent) ?? '';
        let node = r.nodes.get(nodeId);
        if (!node) {
          node = { spanId: nodeSpanId(r.traceId, nodeId), startMs: at, name: `node ${nodeId}`, kind: 'internal', parentSpanId: r.spanId, attributes: { 'spine.run.id': e.runId, 'spine.node.id': nodeId, 'spine.node.kind': 'agent', 'spine.agent.name': agent } };
          r.nodes.set(nodeId, node);
        }
        // A task superseded by a new dispatch of its node (a stale result re-run) ends here.
        const before = r.tasks.get(nodeId);
        if (before) out.push(this.finish(r, before, at, 'unset', undefined, { 'spine.task.outcome': 'superseded' }));
        r.tasks.set(nodeId, {
          spanId: span.spanId, startMs: at, name: `task ${nodeId}`, kind: 'client', parentSpanId: node.spanId, agent,
          attributes: { 'spine.run.id': e.runId, 'spine.node.id': nodeId, 'spine.task.attempt': attempt, 'spine.task.idempotency_key': str(p.idempotencyKey) ?? '', 'spine.agent.name': agent, ...(num(p.agentVersion) !== undefined && { 'spine.agent.version': num(p.agentVersion)! }) },
        });
        return out;
      }
      case 'task.completed':
      case 'task.failed': {
        const task = r.tasks.get(nodeId);
        if (!task || task.attributes['spine.task.attempt'] !== num(p.attempt)) return [];
        r.tasks.delete(nodeId);
        const failed = e.type === 'task.failed';
        const model = str(p.model);
        const genAi: SpanAttributes = model
          ? { [GEN_AI.operation]: 'chat', [GEN_AI.requestModel]: model, [GEN_AI.agentName]: task.agent, [GEN_AI.inputTokens]: num(p.inputTokens) ?? 0, [GEN_AI.outputTokens]: num(p.outputTokens) ?? 0, ...(num(p.cost) !== undefined && { 'spine.usage.cost': num(p.cost)! }) }
          : {};
        const extra: SpanAttributes = { ...genAi, 'spine.task.outcome': failed ? 'failed' : 'completed', ...(num(p.durationMs) !== undefined && { 'spine.task.duration_ms': num(p.durationMs)! }), ...(failed && { 'error.type': str(p.errorKind) ?? 'error', 'spine.task.retryable': p.retryable === true }) };
        out.push(this.finish(r, task, at, failed ? 'error' : 'ok', failed ? str(p.error) : undefined, extra));
        if (!failed) this.endNode(r, nodeId, at, 'ok', out);
        return out;
      }
      case 'task.tool_called': {
        const task = r.tasks.get(nodeId);
        if (!task || task.attributes['spine.task.attempt'] !== num(p.attempt)) return [];
        const n = num(p.n) ?? 0;
        const ms = num(p.durationMs) ?? 0;
        const tool = str(p.tool) ?? '';
        const error = str(p.error);
        const model = str(p.model);
        out.push(this.finish(r, { spanId: toolSpanId(r.traceId, task.spanId, n), startMs: at - ms, name: `execute_tool ${tool}`, kind: 'client', parentSpanId: task.spanId, attributes: { 'spine.run.id': e.runId, 'spine.node.id': nodeId } }, at, error ? 'error' : 'ok', error, {
          [GEN_AI.operation]: 'execute_tool', [GEN_AI.toolName]: tool, [GEN_AI.toolType]: 'function', ...(str(p.callId) && { [GEN_AI.toolCallId]: str(p.callId)! }), 'spine.tool.n': n, 'spine.tool.round': num(p.round) ?? 0,
          ...(error && { 'error.type': 'tool_error' }),
          ...(model && { [GEN_AI.requestModel]: model, [GEN_AI.inputTokens]: num(p.inputTokens) ?? 0, [GEN_AI.outputTokens]: num(p.outputTokens) ?? 0 }),
        }));
        return out;
      }
      case 'node.completed':
        this.endNode(r, nodeId, at, p.handle === 'error' ? 'error' : 'ok', out, p.handle === 'error' ? str(p.reason) : undefined);
        return out;
      case 'approval.requested': {
        const approvalId = str(p.approvalId) ?? nodeId;
        r.approvals.set(approvalId, {
          spanId: approvalSpanId(r.traceId, approvalId), startMs: at, name: `approval ${nodeId}`, kind: 'internal', parentSpanId: r.spanId, required: num(p.requiredApprovals) ?? 1, approvers: new Set(),
          attributes: { 'spine.run.id': e.runId, 'spine.node.id': nodeId, 'spine.approval.id': approvalId, 'spine.approval.role': str(p.role) ?? '' },
        });
        return [];
      }
      case 'approval.decided': {
        const approvalId = str(p.approvalId) ?? nodeId;
        const a = r.approvals.get(approvalId);
        if (!a) return [];
        if (p.decision === 'approve') a.approvers.add(str(p.actor) ?? '');
        const outcome = p.decision === 'reject' ? 'rejected' : a.approvers.size >= a.required || p.auto === true ? 'approved' : null;
        if (!outcome) return [];
        r.approvals.delete(approvalId);
        out.push(this.finish(r, a, at, 'ok', undefined, { 'spine.approval.outcome': outcome, 'spine.approval.decided_by': str(p.actor) ?? '', ...(p.auto === true && { 'spine.approval.auto': true }) }));
        return out;
      }
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled': {
        const status: SpanStatus = e.type === 'run.failed' ? 'error' : e.type === 'run.completed' ? 'ok' : 'unset';
        for (const t of r.tasks.values()) out.push(this.finish(r, t, at, 'unset', undefined, { 'spine.task.outcome': 'run_ended' }));
        for (const a of r.approvals.values()) out.push(this.finish(r, a, at, 'unset', undefined, { 'spine.approval.outcome': 'run_ended' }));
        for (const n of r.nodes.values()) out.push(this.finish(r, n, at, 'unset', undefined, {}));
        const outcome = e.type.slice('run.'.length);
        out.push({
          traceId: r.traceId, spanId: r.spanId, ...(r.parentSpanId && { parentSpanId: r.parentSpanId }), sampled: r.sampled, ...(r.tracestate && { tracestate: r.tracestate }),
          name: `run ${r.attributes['spine.workflow.slug']}`, kind: 'internal', startMs: r.startMs, endMs: at, status,
          ...(e.type !== 'run.completed' && str(p.reason) && { statusMessage: str(p.reason)! }),
          attributes: { ...r.attributes, 'spine.run.outcome': outcome, ...(e.type === 'run.failed' && { 'error.type': str(p.code) ?? 'run.failed' }) },
        });
        this.runs.delete(e.runId);
        return out;
      }
      default:
        return [];
    }
  }

  private endNode(r: RunSpans, nodeId: string, at: number, status: SpanStatus, out: SpanRecord[], message?: string) {
    const n = r.nodes.get(nodeId);
    if (!n) return;
    r.nodes.delete(nodeId);
    out.push(this.finish(r, n, at, status, message, {}));
  }

  private finish(r: RunSpans, o: Open, endMs: number, status: SpanStatus, message: string | undefined, extra: SpanAttributes): SpanRecord {
    return {
      traceId: r.traceId, spanId: o.spanId, parentSpanId: o.parentSpanId, sampled: r.sampled, ...(r.tracestate && { tracestate: r.tracestate }),
      name: o.name, kind: o.kind, startMs: o.startMs, endMs: Math.max(endMs, o.startMs), status, ...(message && { statusMessage: message }), attributes: { ...o.attributes, ...extra },
    };
  }
}

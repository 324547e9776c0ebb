/**
 * The engine service: what the rest of Spine calls to start, inspect and steer runs. Commands from people
 * and the API are validated against the run's fold (read from the log, so any Spine process can serve them)
 * and appended as facts with deterministic idempotency keys (ids.ts); the engine (engine.ts) picks them up
 * from the spine like any event. It also owns leadership (on PostgreSQL one process runs the engine) and the
 * scheduler. See README.md for how the engine itself works.
 *
 * @example
 * const engine = await startEngine({ spine, db });
 * const { runId } = await engine.startRun('procurement', { input: { amount: 12_000 } }, 'ann');
 */
import { z } from 'zod';
import { acquireLeadership, sqlitePathFromUrl, type Db } from '@/server/db';
import { ConflictError, isSpineError, NotFoundError, ValidationError } from '@/server/errors';
import { matchesType, sourceOf, type AppendResult, type Envelope, type Json, type RunStatus, type Spine, type WaitingOn } from '@/server/spine';
import { A2aAdapter, AgentRegistry, BuiltinAdapter, createAgentStore, createLeaseStore, createSqliteLeaseStore, HttpAdapter, OpenAiAdapter, SdkAdapter, TaskBoard, type AgentStore } from '@/server/agents';
import { createArchiveStates, createWorkflowStore, type WorkflowStore } from '@/server/workflows';
import type { NodeKind } from '@/server/workflows/schema';
import { submitDecision } from './primitives/approval';
import { Engine, type EngineDeps } from './engine';
import { commandInputs, type CommandEvent } from './appends';
import { decisionKey, requesterKey } from './ids';
import { replayRun, type ReplayVerdict } from './replay';
import { compareRuns, type RunComparison } from './compare';
import { createEventSchemas, inputReaders, outputReaders, type FieldReader } from '@/server/contracts';
import { Scheduler } from './schedules';
import type { NodeStatus, RunState, Vote } from './run/evolve';
import type { TraceContext } from './run/traceContext';

export const StartRunInput = z
  .object({
    input: z.json().default({}),
    intent: z.string().max(4000).optional(),
    constraints: z.record(z.string(), z.json()).optional(),
    deadline: z.iso.datetime({ offset: true }).optional(),
    key: z.string().min(1).max(256).optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type StartRunInput = z.input<typeof StartRunInput>;

export const ApprovalDecisionInput = z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2000).optional() }).strict();
export const ContextPatchInput = z.object({ patch: z.record(z.string(), z.json()), expectedVersion: z.number().int().min(1).optional() }).strict();

export type RunView = {
  id: string;
  workflowId: string;
  workflowSlug: string;
  version: number;
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
  key: string | null;
  startedBy: string;
  startedAt: string;
  endedAt: string | null;
  /** What a waiting run waits on (empty when it is not waiting). */
  waitingOn: WaitingOn[];
  nodes: { id: string; kind: NodeKind; label: string | null; status: NodeStatus; attempts: number; startedAt: string | null; endedAt: string | null; error: string | null }[];
  output: Json | null;
  error: RunState['error'];
  envelope: Envelope;
};

export type PendingApproval = {
  approvalId: string; runId: string; nodeId: string; role: string; instructions: string | null; dueAt: string | null;
  requiredApprovals: number; allowRequester: boolean; decisions: Vote[]; workflowSlug: string; intent: string | null; startedBy: string;
  /** When it was requested (its `approval.requested`). */
  requestedAt: string;
  /** Four eyes: the approval gates of the run this one must be decided apart from, and who approved them. */
  distinctFrom?: string[];
  excluded?: string[];
};

/**
 * waiting = running, but only on people or time: an approval, a delay or a retry's timer, the entity-key
 * queue. `waitingOn` names them (node ids, or the key); empty when the run is not waiting.
 */
export function runStatusOf(s: RunState): { status: RunView['status']; waitingOn: WaitingOn[] } {
  if (s.status !== 'running') return { status: s.status, waitingOn: [] };
  if (s.gate === 'queued') return { status: 'waiting', waitingOn: [{ kind: 'key', id: s.key ?? '' }] };
  const nodes = Object.entries(s.nodes);
  if (nodes.some(([, n]) => n.status === 'running')) return { status: 'running', waitingOn: [] };
  const waiting = nodes.filter(([, n]) => n.status === 'waiting').map(([id]) => id);
  if (waiting.length === 0) return { status: 'running', waitingOn: [] };
  const approvals = new Set(Object.values(s.approvals).filter((a) => a.status === 'pending').map((a) => a.nodeId));
  return { status: 'waiting', waitingOn: waiting.map((id): WaitingOn => ({ kind: approvals.has(id) ? 'approval' : 'timer', id })) };
}

/** Forking a run (service.forkRun): where, and what to change. */
export const ForkRunInput = z
  .object({
    /** The event of the run to fork at: the recorded agent outputs before it are reused. */
    atSeq: z.number().int().min(1),
    /** Another published version of the same workflow. */
    version: z.number().int().min(1).optional(),
    /** A changed input (default: the origin's). */
    input: z.unknown().optional(),
    /** Merged into the starting shared state (a patched envelope). */
    state: z.record(z.string(), z.unknown()).optional(),
    /** Agents called again rather than reused (e.g. the one whose new version is being tried). */
    liveAgents: z.array(z.string().min(1).max(128)).max(100).optional(),
    /** Agents dispatched at this registry version (a candidate under evaluation); each is also live. */
    agentVersions: z.record(z.string().min(1).max(128), z.number().int().min(1)).optional(),
    /**
     * Let the fork call agents flagged with side effects (payments, bookings). @default false: such an agent
     * is answered from the origin's recorded output for its node, or its task fails (`side_effect_blocked`).
     */
    allowSideEffects: z.boolean().optional(),
    /**
     * Decide each approval the origin decided as it was decided, at once (`auto`, the origin's approver as
     * actor), rather than asking people again. @default false
     */
    reuseApprovals: z.boolean().optional(),
  })
  .strict();

export type EngineService = Awaited<ReturnType<typeof startEngine>>;

/**
 * Who asks the engine for something: the authenticated principal (recorded as the source of what it
 * appends: a person as `user`, a key as `apiKey`), or a bare name for a person (tests, the demo).
 */
export type Requester = string | { kind: 'user' | 'apiKey' | 'system'; name: string; roles?: readonly string[] };
const requesterName = (r: Requester) => (typeof r === 'string' ? r : r.name);
const requesterSource = (r: Requester) => sourceOf(typeof r === 'string' ? { kind: 'user', name: r } : r);

export async function startEngine(opts: { spine: Spine; db: Db; run?: boolean; databaseUrl?: string } & Partial<Pick<EngineDeps, 'now' | 'random' | 'onRunEnded'>>) {
  const workflows: WorkflowStore = createWorkflowStore(opts.db);
  // Every start asks whether its workflow is archived: kept in memory while this follows the log (archiveStates.ts).
  const archiveStates = createArchiveStates(workflows, opts.spine);
  const archiveWatch = new AbortController();
  void archiveStates.watch(archiveWatch.signal).catch((err: unknown) => console.error('[engine] archive watch stopped; starts read the database from now on:', err));
  const agentStore: AgentStore = createAgentStore(opts.db);
  // sdk agents: tasks offered on the lease table; the agent API (any process) serves the same board.
  // On SQLite the lease statements take the raw driver (server/agents/sdk/store.ts says why).
  const sdkTasks = new TaskBoard(opts.spine.dialect === 'sqlite' && opts.databaseUrl ? createSqliteLeaseStore(sqlitePathFromUrl(opts.databaseUrl)) : createLeaseStore(opts.db));
  const agents = new AgentRegistry(agentStore, [new BuiltinAdapter(), new HttpAdapter(), new OpenAiAdapter(), new SdkAdapter(sdkTasks), new A2aAdapter()]);
  let scheduler: Scheduler | undefined;
  const engine = new Engine({ spine: opts.spine, workflows, agents, now: opts.now, random: opts.random, onRunEnded: opts.onRunEnded, onPublished: () => void scheduler?.refresh() });
  // On PostgreSQL only the leader runs the engine; the others wait on the lock without blocking start-up.
  const leadership = acquireLeadership(opts.spine.dialect === 'postgresql' ? (opts.databaseUrl ?? null) : null);
  // Only the leading process arms schedules (set in lead()); the others leave `scheduler` undefined.
  const lead = async () => {
    await engine.start();
    scheduler = new Scheduler(engine, workflows, opts.now);
    await scheduler.refresh({ catchUp: true });
  };
  let started: Promise<void> | undefined;
  if (opts.run !== false) {
    if (opts.spine.dialect !== 'postgresql' || !opts.databaseUrl) await lead();
    else started = leadership.acquired.then(lead).catch(() => undefined);
  }
  const spine = opts.spine;
  // Event-type contracts (server/contracts): a new version is checked against the published workflows its events trigger.
  const schemas = createEventSchemas({
    spine,
    readers: async (type) => {
      const triggered = (await workflows.eventTriggers()).filter((t) => !t.archived && matchesType(t.eventType, type));
      const out = [];
      for (const t of triggered) {
        const v = await workflows.getVersion(t.workflowId, t.version);
        out.push(...inputReaders({ workflowId: v.workflowId, workflowName: v.name, version: v.version, doc: v.document }));
      }
      return out;
    },
  });

  /** A recorded task.completed as a fork reuses it: the output and the tokens it used. */
  function recorded(p: { output: Json; model?: string; inputTokens?: number; outputTokens?: number; cost?: number }): { output: Json; usage?: { inputTokens: number; outputTokens: number; model: string; cost?: number } } {
    return { output: p.output, ...(typeof p.model === 'string' && { usage: { inputTokens: p.inputTokens ?? 0, outputTokens: p.outputTokens ?? 0, model: p.model, ...(typeof p.cost === 'number' && { cost: p.cost }) } }) };
  }

  /**
   * The agents of `wf` flagged with side effects (the registry now), and the origin's last recorded output of
   * each node that calls one (anywhere in the origin): what a fork answers them with instead of calling them.
   */
  async function heldSideEffects(wf: Awaited<ReturnType<typeof engine.workflow>>, events: Awaited<ReturnType<typeof engine.runEvents>>) {
    const names = new Set<string>();
    for (const n of wf.nodes.values()) if (n.kind === 'agent') names.add(n.config.agent);
    const flagged: string[] = [];
    for (const name of names) if ((await agentStore.get(name).catch(() => undefined))?.sideEffects) flagged.push(name);
    if (flagged.length === 0) return undefined;
    const byNode = new Map<string, string>();
    for (const e of events) if (e.type === 'task.dispatched') byNode.set(String((e.payload as { nodeId: string }).nodeId), String((e.payload as { agent: string }).agent));
    const held: Record<string, ReturnType<typeof recorded>> = {};
    for (const e of events) {
      if (e.type !== 'task.completed') continue;
      const p = e.payload as { nodeId: string; output: Json };
      if (flagged.includes(byNode.get(p.nodeId) ?? '')) held[p.nodeId] = recorded(p);
    }
    return { agents: flagged.sort(), held };
  }

  async function folded(runId: string) {
    const f = await engine.fold(runId);
    if (!f) throw new NotFoundError('run.not_found', `No run '${runId}'`, { runId });
    return f;
  }

  /**
   * A person's command: through the run's actor when this process drives the run (judged on its live state,
   * between steps), else validated against the log's fold and appended.
   */
  async function command(runId: string, build: (s: RunState) => CommandEvent[], source: ReturnType<typeof requesterSource>): Promise<AppendResult[]> {
    const viaActor = await engine.command(runId, build, source);
    if (viaActor) return viaActor;
    const { state } = await folded(runId);
    return spine.append(commandInputs(state, build(state), source));
  }

  return {
    /** The engine itself (engine.ts), for tests and the bench; everything else calls the service's methods. */
    core: engine,
    workflows,
    agents,
    agentStore,
    /** The board sdk agents take their tasks from (server/agents/sdk). */
    sdkTasks,
    /** The schema registry of event types (server/contracts): the publish gate and versioned, evented schemas. */
    schemas,
    /** Every expression of a published workflow (its latest version, archived ones left out) reading `agent`'s output fields. */
    async agentOutputReaders(agent: string): Promise<FieldReader[]> {
      const out: FieldReader[] = [];
      for (const w of await workflows.list()) {
        if (w.publishedVersion === null) continue;
        const v = await workflows.getVersion(w.id, w.publishedVersion);
        out.push(...outputReaders({ workflowId: v.workflowId, workflowName: v.name, version: v.version, doc: v.document }, agent));
      }
      return out;
    },

    /**
     * Starts a run for `actor`. `opts.via: 'designer'` records the designer's Run button as its trigger (else `api`);
     * `opts.trace`: the W3C trace context of the request that asked (its `traceparent`); the run joins that trace.
     */
    async startRun(workflowIdOrSlug: string, raw: StartRunInput | unknown, actor: Requester, opts: { via?: 'designer'; trace?: TraceContext } = {}) {
      const parsed = StartRunInput.safeParse(raw);
      if (!parsed.success) throw new ValidationError('run.invalid_input', parsed.error.issues[0]!.message, { issues: parsed.error.issues.slice(0, 5) });
      const i = parsed.data;
      // A person or a script starting an archived workflow is refused (its triggers are off already: the
      // engine follows archive events in log order). The flag is the database's, kept until the next archive event.
      const w = await archiveStates.get(workflowIdOrSlug);
      if (w.archived)
        throw new ConflictError('workflow.archived', `Workflow '${w.name}' (${w.slug}) is archived and starts no runs; restore it first (on /workflows: Show archived, then Restore in its menu)`, { workflowId: w.id, slug: w.slug });
      return engine.startRun({
        workflowId: workflowIdOrSlug, version: i.version, input: i.input as Json, intent: i.intent, constraints: i.constraints as Record<string, Json>, deadline: i.deadline, key: i.key,
        // A requester's idempotency key is theirs alone: it cannot name the start a trigger will make.
        idempotencyKey: i.idempotencyKey === undefined ? undefined : requesterKey(requesterSource(actor).kind, requesterName(actor), i.idempotencyKey),
        startedBy: requesterName(actor), startedByKind: requesterSource(actor).kind, ...(opts.via === 'designer' && { trigger: { kind: 'designer' as const } }), ...(opts.trace && { trace: opts.trace }) });
    },

    /**
     * The event `eventId` (about to be published with that id) came with the W3C trace context `trace`: the
     * runs it triggers join that trace (when this process routes the trigger; see tracing.ts).
     */
    expectTriggerTrace: (eventId: string, trace: TraceContext) => engine.triggerTraces.expect(eventId, trace),

    /** A workflow version as the engine runs it (compiled, cached). */
    workflow: (workflowId: string, version: number) => engine.workflow(workflowId, version),
    /** Every event of a run, in seq order. */
    runEvents: (runId: string) => engine.runEvents(runId),
    /** A run folded from the log (null when there is no such run). */
    fold: (runId: string) => engine.fold(runId),
    /**
     * Forks a run at one of its events (`atSeq`): a new run of the same workflow (or `version`), with the
     * origin's input (or `input`) and starting state patched by `state`, that takes the origin's recorded
     * agent outputs before that event as given: each such node is answered from the record, no agent called
     * (agents named in `liveAgents` are called again; `agentVersions` pins an agent, live, at a registry version).
     * Agents flagged with side effects are never called unless `allowSideEffects`: plan.ts answers their nodes
     * from the origin's recorded outputs (`fork.sideEffects`, decided here and recorded), or fails them
     * `side_effect_blocked`. The origin records `run.forked`. 400 for a seq that is not the run's or an agent
     * version the registry never had; 404 for no such run.
     */
    async forkRun(runId: string, raw: unknown, actor: Requester): Promise<{ runId: string; forkedFrom: string; atSeq: number; reused: string[] }> {
      const parsed = ForkRunInput.safeParse(raw);
      if (!parsed.success) throw new ValidationError('run.invalid_fork', parsed.error.issues[0]!.message, { issues: parsed.error.issues.slice(0, 5) });
      const o = parsed.data;
      const events = await engine.runEvents(runId);
      const started = events.find((e) => e.type === 'run.started');
      if (!started) throw new NotFoundError('run.not_found', `No run '${runId}'`, { runId });
      const at = events.find((e) => e.seq === o.atSeq);
      if (!at) throw new ValidationError('run.fork_point_unknown', `Event ${o.atSeq} is not an event of run '${runId}': fork at one of its own events`, { runId, atSeq: o.atSeq });
      const origin = started.payload as { workflowId: string; version: number; input: Json; intent?: string; constraints?: Record<string, Json>; state?: Record<string, Json> };
      const version = o.version ?? origin.version;
      const wf = await engine.workflow(origin.workflowId, version);
      const agentVersions = o.agentVersions ?? {};
      for (const [name, v] of Object.entries(agentVersions)) {
        const known = await agentStore.atVersion(name, v).catch(() => undefined);
        if (!known) throw new ValidationError('run.fork_agent_version_unknown', `Agent '${name}' has no version ${v}`, { agent: name, version: v });
      }
      const live = new Set([...(o.liveAgents ?? []), ...Object.keys(agentVersions)]);
      const reuse: Record<string, { output: Json; usage?: { inputTokens: number; outputTokens: number; model: string; cost?: number } }> = {};
      for (const e of events) {
        if (e.seq >= o.atSeq || e.type !== 'task.completed') continue;
        const p = e.payload as { nodeId: string; output: Json; model?: string; inputTokens?: number; outputTokens?: number; cost?: number };
        const node = wf.nodes.get(p.nodeId);
        if (node?.kind !== 'agent' || live.has(node.config.agent)) continue;
        reuse[p.nodeId] = recorded(p);
      }
      const sideEffects = o.allowSideEffects ? undefined : await heldSideEffects(wf, events);
      const approvals: Record<string, { decision: 'approve' | 'reject'; actor: string }> = {};
      if (o.reuseApprovals)
        for (const a of Object.values((await folded(runId)).state.approvals))
          if (a.status !== 'pending') approvals[a.nodeId] = { decision: a.status === 'approved' ? 'approve' : 'reject', actor: a.decisions.at(-1)?.actor ?? 'system' };
      const r = await engine.startRun({
        workflowId: origin.workflowId, version, input: (o.input ?? origin.input) as Json,
        ...(origin.intent !== undefined && { intent: origin.intent }), ...(origin.constraints !== undefined && { constraints: origin.constraints }),
        state: { ...(origin.state ?? {}), ...((o.state ?? {}) as Record<string, Json>) },
        startedBy: requesterName(actor), startedByKind: requesterSource(actor).kind, trigger: { kind: 'fork' },
        fork: { from: runId, atSeq: o.atSeq, reuse, ...(Object.keys(agentVersions).length > 0 && { agentVersions }), ...(sideEffects && { sideEffects }), ...(Object.keys(approvals).length > 0 && { approvals }) },
      });
      await spine.append([{ type: 'run.forked', runId, source: requesterSource(actor), causationId: at.id, payload: { fork: r.runId, atSeq: o.atSeq, version, reused: Object.keys(reuse) } }]);
      return { runId: r.runId, forkedFrom: runId, atSeq: o.atSeq, reused: Object.keys(reuse) };
    },
    /** Replays a run from its log alone (replay.ts): does every decision re-decide as recorded? 404 for no such run. */
    async replayRun(runId: string): Promise<ReplayVerdict> {
      const events = await engine.runEvents(runId);
      const started = events.find((e) => e.type === 'run.started');
      if (!started) throw new NotFoundError('run.not_found', `No run '${runId}'`, { runId });
      const p = started.payload as { workflowId: string; version: number };
      return replayRun(await engine.workflow(p.workflowId, p.version), events);
    },
    /**
     * Compares two runs side by side (compare.ts): each one's path, per node its status, output (diffed),
     * decision, timing, tokens and reuse, and the first node where they diverge. Only the event types
     * `mayRead` allows are compared (a reader's scope). 404 when either run does not exist.
     */
    async compareRuns(runId: string, otherId: string, mayRead: (type: string) => boolean = () => true): Promise<RunComparison> {
      const side = async (id: string) => {
        const events = await engine.runEvents(id);
        const started = events.find((e) => e.type === 'run.started');
        if (!started) throw new NotFoundError('run.not_found', `No run '${id}'`, { runId: id });
        const p = started.payload as { workflowId: string; version: number };
        const wf = await engine.workflow(p.workflowId, p.version);
        const workflowName = await workflows.get(p.workflowId).then((w) => w.name, () => undefined);
        return { runId: id, events: events.filter((e) => mayRead(e.type)), nodes: wf.doc.nodes, ...(workflowName !== undefined && { workflowName }) };
      };
      const [a, b] = await Promise.all([side(runId), side(otherId)]);
      return compareRuns(a, b);
    },
    /** Re-reads the published workflows' triggers (after a publish, archive or restore here). */
    refreshTriggers: () => engine.refreshTriggers(),

    async getRun(runId: string): Promise<RunView> {
      const { state: s, wf } = await folded(runId);
      const { status, waitingOn } = runStatusOf(s);
      return {
        id: s.runId, workflowId: s.workflowId, workflowSlug: s.slug, version: s.version, status, key: s.key, startedBy: s.startedBy, startedAt: s.startedAt, endedAt: s.endedAt, waitingOn,
        nodes: wf.doc.nodes.map((n) => {
          const ns = s.nodes[n.id];
          return { id: n.id, kind: n.kind, label: n.label ?? null, status: ns?.status ?? 'pending', attempts: ns?.attempt ?? 0, startedAt: ns?.startedAt ?? null, endedAt: ns?.endedAt ?? null, error: ns?.error ?? null };
        }),
        output: s.output, error: s.error, envelope: await spine.envelope(runId),
      };
    },

    async cancelRun(runId: string, by: Requester, reason = 'cancelled by user') {
      const actor = requesterName(by);
      const build = (s: RunState): CommandEvent[] => {
        if (s.status !== 'running') throw new ConflictError('run.not_running', `Run '${runId}' is ${s.status}`, { runId });
        return [{ type: 'run.cancelled', payload: { reason, actor }, idempotencyKey: decisionKey(runId, 'run.cancelled'), ...(s.key && { key: s.key }) }];
      };
      await command(runId, build, requesterSource(by));
      return { runId, status: 'cancelled' as RunStatus };
    },

    /** Retries a failed agent node by hand: reopens a failed run at that node. */
    async retryNode(runId: string, nodeId: string, by: Requester) {
      const actor = requesterName(by);
      const { state: s, wf } = await folded(runId);
      const node = wf.nodes.get(nodeId);
      if (!node || node.kind !== 'agent') throw new NotFoundError('node.not_found', `Run '${runId}' has no agent node '${nodeId}'`, { runId, nodeId });
      if (s.status !== 'failed' || s.nodes[nodeId]?.status !== 'failed')
        throw new ConflictError('node.not_failed', `Node '${nodeId}' of run '${runId}' has not failed`, { runId, nodeId });
      await engine.appendFacts([{ type: 'run.reopened', payload: { nodeId, actor }, idempotencyKey: decisionKey(runId, 'run.reopened', s.lastSeq), ...(s.key && { key: s.key }) }], requesterSource(by), runId);
      return { runId, nodeId };
    },

    async patchContext(runId: string, raw: unknown, by: Requester) {
      const parsed = ContextPatchInput.safeParse(raw);
      if (!parsed.success) throw new ValidationError('context.invalid_patch', parsed.error.issues[0]!.message);
      const build = (s: RunState): CommandEvent[] => {
        if (s.status !== 'running') throw new ConflictError('run.not_running', `Run '${runId}' is ${s.status}`, { runId });
        return [{ type: 'context.patched', payload: parsed.data as Json, ...(s.key && { key: s.key }) }];
      };
      const [r] = await command(runId, build, requesterSource(by));
      return { runId, envelopeVersion: r!.envelopeVersion ?? null, seq: r!.seq };
    },

    async decideApproval(approvalId: string, raw: unknown, actor: { kind?: 'user' | 'apiKey' | 'system'; name: string; roles?: readonly string[] }) {
      const parsed = ApprovalDecisionInput.safeParse(raw);
      if (!parsed.success) throw new ValidationError('approval.invalid_decision', parsed.error.issues[0]!.message);
      const runId = approvalId.slice(0, approvalId.lastIndexOf(':'));
      if (!runId) throw new NotFoundError('approval.not_found', `No approval '${approvalId}'`, { approvalId });
      const build = (state: RunState): CommandEvent[] => [
        submitDecision(state, { approvalId, decision: parsed.data.decision, actor: actor.name, actorRoles: actor.roles, ...(parsed.data.comment !== undefined && { comment: parsed.data.comment }) }),
      ];
      const [r] = await command(runId, build, requesterSource({ kind: actor.kind ?? 'user', name: actor.name })).catch((e: unknown) => {
        if (isSpineError(e) && e.code === 'run.not_found') throw new NotFoundError('approval.not_found', `No approval '${approvalId}'`, { approvalId });
        throw e;
      });
      if (r!.duplicate) throw new ConflictError('approval.already_decided', `Approval '${approvalId}' was decided by someone else a moment ago`, { approvalId });
      return { approvalId, runId, decision: parsed.data.decision, seq: r!.seq };
    },

    /**
     * Approvals still open, newest run first. Read from the log, not from each run's fold: the active runs
     * come from the run index, their approvals from the `approval.requested` / `approval.decided` events
     * since the oldest of them started, replayed by the fold's own rule (open until a rejection, an
     * automatic decision, or enough distinct approvers; a new request of the same node opens it afresh),
     * and each run's intent from its `run.started`. The same answer as folding every active run (the
     * approvals inbox test compares them), without loading any workflow or the runs' other events.
     */
    async pendingApprovals(): Promise<PendingApproval[]> {
      const active = await spine.listRuns({ statuses: ['running', 'waiting', 'queued'], limit: 10_000, order: 'asc' });
      if (active.length === 0) return [];
      const runs = new Map(active.map((r) => [r.id, r]));
      type Open = Omit<PendingApproval, 'workflowSlug' | 'intent' | 'startedBy'> & { status: 'pending' | 'approved' | 'rejected' };
      const open = new Map<string, Open>();
      for (let after = active[0]!.startedSeq - 1; ; ) {
        const page = await spine.read({ after, limit: 1000, filter: { types: ['approval.requested', 'approval.escalated', 'approval.decided'] } });
        for (const e of page) {
          if (!e.runId || !runs.has(e.runId)) continue;
          const p = e.payload as Record<string, unknown>;
          const approvalId = String(p.approvalId);
          if (e.type === 'approval.requested') {
            open.set(approvalId, {
              approvalId, runId: e.runId, nodeId: String(p.nodeId), role: String(p.role), instructions: typeof p.instructions === 'string' ? p.instructions : null,
              dueAt: typeof p.dueAt === 'string' ? p.dueAt : null, requiredApprovals: Number(p.requiredApprovals) || 1, allowRequester: p.allowRequester === true,
              decisions: [], requestedAt: e.time, status: 'pending', ...(Array.isArray(p.distinctFrom) && { distinctFrom: p.distinctFrom.map(String) }),
            });
            continue;
          }
          const a = open.get(approvalId);
          if (!a || a.status !== 'pending') continue;
          if (e.type === 'approval.escalated') {
            // Re-assigned when its SLA lapsed: the new role decides it, by the new due time.
            a.role = String(p.role);
            a.dueAt = typeof p.dueAt === 'string' ? p.dueAt : null;
            continue;
          }
          const decision = p.decision === 'reject' ? 'reject' : 'approve';
          a.decisions.push({ actor: String(p.actor), decision, ...(typeof p.comment === 'string' && { comment: p.comment }), ...(p.auto === true && { auto: true }), at: e.time });
          const approvers = new Set(a.decisions.filter((d) => d.decision === 'approve').map((d) => d.actor)).size;
          if (decision === 'reject') a.status = 'rejected';
          else if (approvers >= a.requiredApprovals || p.auto === true) a.status = 'approved';
        }
        if (page.length < 1000) break;
        after = page[page.length - 1]!.seq;
      }
      const pending = [...open.values()].filter((a) => a.status === 'pending');
      // Four eyes: who approved a gate this one must be decided apart from may not decide it.
      for (const a of pending)
        a.excluded = (a.distinctFrom ?? []).flatMap((n) => (open.get(`${a.runId}:${n}`)?.decisions ?? []).filter((d) => d.decision === 'approve' && !d.auto).map((d) => d.actor));
      const started = new Map(
        await Promise.all([...new Set(pending.map((a) => a.runId))].map(async (id) => [id, (await spine.getEvent(runs.get(id)!.startedSeq)).payload as Record<string, unknown>] as const)),
      );
      const order = new Map(active.map((r, i) => [r.id, i]));
      return pending
        .sort((x, y) => order.get(y.runId)! - order.get(x.runId)!)
        .map(({ status: _s, ...a }) => {
          const s = started.get(a.runId) ?? {};
          return { ...a, workflowSlug: String(s.workflowSlug ?? ''), intent: typeof s.intent === 'string' ? s.intent : null, startedBy: String(s.startedBy ?? runs.get(a.runId)?.startedBy ?? '') };
        });
    },

    /**
     * Publishes a workflow's draft and tells every engine about new triggers. `by` (the authenticated
     * principal) is recorded as the source of `workflow.published`; without it, the person `createdBy`.
     */
    async publishWorkflow(idOrSlug: string, opts: { summary?: string; createdBy?: string; by?: Requester } = {}) {
      const { by, ...rest } = opts;
      const createdBy = by !== undefined ? requesterName(by) : opts.createdBy;
      const result = await workflows.publish(idOrSlug, { ...rest, ...(createdBy !== undefined && { createdBy }), agents: await agents.names(), removedAgents: await agents.removedNames() });
      const wf = await workflows.get(idOrSlug);
      await spine.publish({ type: 'workflow.published', key: `workflow:${wf.id}`, source: by !== undefined ? requesterSource(by) : { kind: 'user', name: createdBy ?? 'system' }, payload: { workflowId: wf.id, slug: wf.slug, version: result.version, summary: opts.summary ?? '' } });
      await engine.refreshTriggers();
      await scheduler?.refresh();
      return result;
    },

    /** Resolves once this process leads the engine (at once on SQLite). */
    leading: () => started ?? Promise.resolve(),

    async stop() {
      archiveWatch.abort();
      scheduler?.stop();
      await engine.stop();
      await sdkTasks.stop();
      await leadership.release();
    },
  };
}

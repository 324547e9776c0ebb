/**
 * Spine as an A2A server: an exposed workflow is an A2A agent whose task is a run. Built on the SDK's
 * `DefaultRequestHandler` (task store, event buses, JSON-RPC semantics) with one `AgentExecutor`:
 *
 * - `message/send` / `message/stream` start a run of the workflow the endpoint serves, as the caller (the
 *   API key's principal is the run's `startedBy` and the source of its `run.started`), with the message's
 *   input data part (or its first data part; text alone becomes `{ text }`) as the run's input. The A2A
 *   task id makes the start idempotent (`a2a:<task id>` under the caller's own keys).
 * - The task follows the run through the log: `run.started`, each node's dispatch, result and approval
 *   wait become `working` status updates (text, plus `{ seq, type, nodeId }` as data); `run.completed`
 *   becomes an `output` artifact (the run's output as a data part) and `completed`; `run.failed` →
 *   `failed` with the reason; `run.cancelled` → `canceled`.
 * - A follow-up message on a task is refused (a run takes its input once).
 * - `tasks/cancel` cancels the run (as the caller); `tasks/get` / `tasks/resubscribe` read the task. Only
 *   the principal that started a task (or an operator) may read or cancel it; to anyone else it does not exist.
 *
 * The task store is the SDK's in-memory one: tasks are served by the process that started them (their runs,
 * like every run, are in the log and on /runs).
 */
import type { Message, MessageSendParams, Task, TaskIdParams, TaskQueryParams } from '@a2a-js/sdk';
import { A2AError, DefaultRequestHandler, InMemoryTaskStore, ServerCallContext, type AgentExecutor, type ExecutionEventBus, type RequestContext, type User } from '@a2a-js/sdk/server';
import { hasRole, type Actor } from '@/server/auth/roles';
import { isSpineError } from '@/server/errors';
import type { EngineService } from '@/server/engine';
import type { Json, Spine, SpineEvent } from '@/server/spine';
import type { WorkflowSummary } from '@/server/workflows';
import { spineCard } from './cards';

/** The caller of an A2A request, as the SDK's `User`. */
export class SpineA2aUser implements User {
  constructor(readonly actor: Actor) {}
  get isAuthenticated() {
    return true;
  }
  get userName() {
    return this.actor.name;
  }
}

/** The call context Spine's endpoints pass the SDK: who calls, and which workflow the endpoint serves (none: `/api/a2a`, by `metadata.skill`). */
export class SpineCallContext extends ServerCallContext {
  workflow?: WorkflowSummary;
  constructor(readonly actor: Actor, readonly endpointWorkflow: WorkflowSummary | undefined, readonly exposed: () => Promise<WorkflowSummary[]>) {
    super(undefined, new SpineA2aUser(actor));
    this.workflow = endpointWorkflow;
  }
}

type TaskMeta = { runId: string; workflowId: string; startedBy: string };
const metaOf = (t: Task | undefined): TaskMeta | undefined => (t?.metadata?.spine as TaskMeta | undefined) ?? undefined;

/** The run's input from a message: its `metadata.spine = 'input'` data part, else its first data part, else its text as `{ text }`. */
export function inputOf(m: Message): Json {
  const data = m.parts.filter((p) => p.kind === 'data');
  const marked = data.find((p) => (p.metadata as { spine?: unknown } | undefined)?.spine === 'input');
  const part = marked ?? data[0];
  if (part) return part.data as Json;
  const text = m.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('\n');
  return text ? { text } : {};
}

const FINAL: Record<string, 'completed' | 'failed' | 'canceled'> = { 'run.completed': 'completed', 'run.failed': 'failed', 'run.cancelled': 'canceled' };

/** What a run's event says to an A2A client following it (undefined: nothing worth a status update). */
function describe(e: SpineEvent): string | undefined {
  const p = (e.payload ?? {}) as Record<string, Json>;
  switch (e.type) {
    case 'run.started':
      return 'run started';
    case 'task.dispatched':
      return `${String(p.nodeId)}: dispatched to agent ${String(p.agent)}`;
    case 'task.completed':
      return `${String(p.nodeId)}: completed`;
    case 'task.failed':
      return `${String(p.nodeId)}: failed (${String(p.error)})`;
    case 'approval.requested':
      return `${String(p.nodeId)}: waiting for approval by ${String(p.role)}`;
    case 'approval.decided':
      return `${String(p.nodeId)}: ${String(p.decision)}d by ${String(p.actor)}`;
    case 'run.completed':
      return 'run completed';
    case 'run.failed':
      return `run failed: ${String(p.reason)}`;
    case 'run.cancelled':
      return `run cancelled: ${String(p.reason)}`;
    default:
      return undefined;
  }
}

class RunExecutor implements AgentExecutor {
  /** Runs by A2A task id, and who asked to cancel each (set by the handler just before it asks the executor). */
  readonly runs = new Map<string, string>();
  readonly cancelledBy = new Map<string, Actor>();
  constructor(private readonly engine: EngineService, private readonly spine: Spine) {}

  async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, userMessage } = ctx;
    const call = ctx.context as SpineCallContext;
    const w = call.workflow!;
    const status = (state: 'submitted' | 'working' | 'completed' | 'failed' | 'canceled', text: string, data?: Record<string, Json>, final = false) =>
      bus.publish({
        kind: 'status-update', taskId, contextId, final,
        status: { state, timestamp: new Date().toISOString(), message: { kind: 'message', role: 'agent', messageId: `${taskId}:${state}:${data?.seq ?? 0}`, taskId, contextId, parts: [{ kind: 'text', text }, ...(data ? [{ kind: 'data' as const, data }] : [])] } },
      });
    let runId: string;
    try {
      ({ runId } = await this.engine.startRun(w.id, { input: inputOf(userMessage), idempotencyKey: `a2a:${taskId}` }, call.actor));
    } catch (e) {
      bus.publish({ kind: 'task', id: taskId, contextId, history: [userMessage], status: { state: 'submitted', timestamp: new Date().toISOString() } });
      status('failed', `the run could not start: ${isSpineError(e) ? e.message : 'internal error'}`, undefined, true);
      return bus.finished();
    }
    this.runs.set(taskId, runId);
    const meta: TaskMeta = { runId, workflowId: w.id, startedBy: call.actor.name };
    bus.publish({ kind: 'task', id: taskId, contextId, history: [userMessage], metadata: { spine: meta }, status: { state: 'submitted', timestamp: new Date().toISOString() } });
    const ac = new AbortController();
    try {
      for await (const e of this.spine.subscribe({ runId, fromSeq: 1, signal: ac.signal })) {
        const text = describe(e);
        if (text === undefined) continue;
        const data = { seq: e.seq, type: e.type, ...(typeof (e.payload as { nodeId?: unknown })?.nodeId === 'string' && { nodeId: (e.payload as { nodeId: string }).nodeId }) };
        const end = FINAL[e.type];
        if (!end) {
          status('working', text, data);
          continue;
        }
        if (end === 'completed') {
          const output = (e.payload as { output?: Json }).output ?? null;
          const asObject = output !== null && typeof output === 'object' && !Array.isArray(output) ? output : { output };
          bus.publish({ kind: 'artifact-update', taskId, contextId, artifact: { artifactId: 'output', name: 'output', parts: [{ kind: 'data', data: asObject as Record<string, unknown> }] } });
        }
        status(end, text, data, true);
        break;
      }
    } finally {
      ac.abort();
      this.runs.delete(taskId);
      bus.finished();
    }
  }

  async cancelTask(taskId: string): Promise<void> {
    const runId = this.runs.get(taskId);
    const by = this.cancelledBy.get(taskId);
    this.cancelledBy.delete(taskId);
    if (!runId || !by) return;
    // The run's `run.cancelled` reaches the task through execute's subscription, which ends it as canceled.
    await this.engine.cancelRun(runId, by, 'cancelled over A2A').catch((e: unknown) => {
      if (!(isSpineError(e) && e.code === 'run.not_running')) throw e;
    });
  }
}

/** The SDK's request handler with Spine's rules: the workflow a message runs, and who may see or cancel a task. */
export class SpineA2aRequestHandler extends DefaultRequestHandler {
  constructor(private readonly store: InMemoryTaskStore, private readonly executor: RunExecutor) {
    super(spineCard([], ''), store, executor);
  }

  /** The workflow a message runs: the endpoint's, or (at `/api/a2a`) the exposed one its `metadata.skill` names. */
  private async route(params: MessageSendParams, context?: ServerCallContext): Promise<void> {
    const call = context as SpineCallContext;
    if (call.endpointWorkflow) return;
    const exposed = await call.exposed();
    const skill = params.message.metadata?.skill;
    const w = typeof skill === 'string' ? exposed.find((x) => x.slug === skill || x.id === skill) : exposed.length === 1 ? exposed[0] : undefined;
    if (!w) throw A2AError.invalidParams(typeof skill === 'string' ? `No exposed workflow has the skill '${skill}'` : `Name the skill in message.metadata.skill (one of: ${exposed.map((x) => x.slug).join(', ') || 'none exposed'})`);
    call.workflow = w;
  }

  /** A task the caller may see, or not found (another principal's task does not exist for them). */
  private async own(id: string, context?: ServerCallContext): Promise<Task> {
    const t = await this.store.load(id);
    const actor = (context as SpineCallContext | undefined)?.actor;
    const meta = metaOf(t);
    if (!t || !actor || !meta || (meta.startedBy !== actor.name && !hasRole(actor, 'operator'))) throw A2AError.taskNotFound(id);
    return t;
  }

  /** A run takes its input once: a follow-up message on a task is refused (start a new task instead). */
  private async first(params: MessageSendParams, context?: ServerCallContext) {
    if (params.message.taskId) {
      await this.own(params.message.taskId, context);
      throw A2AError.invalidRequest(`Task ${params.message.taskId} is a Spine run, which takes one message; send a new message (without taskId) to start another run`);
    }
    await this.route(params, context);
  }

  override async sendMessage(params: MessageSendParams, context?: ServerCallContext) {
    await this.first(params, context);
    return super.sendMessage(params, context);
  }

  override async *sendMessageStream(params: MessageSendParams, context?: ServerCallContext) {
    await this.first(params, context);
    yield* super.sendMessageStream(params, context);
  }

  override async getTask(params: TaskQueryParams, context?: ServerCallContext) {
    await this.own(params.id, context);
    return super.getTask(params, context);
  }

  override async cancelTask(params: TaskIdParams, context?: ServerCallContext) {
    await this.own(params.id, context);
    this.executor.cancelledBy.set(params.id, (context as SpineCallContext).actor);
    return super.cancelTask(params, context);
  }

  override async *resubscribe(params: TaskIdParams, context?: ServerCallContext) {
    await this.own(params.id, context);
    yield* super.resubscribe(params, context);
  }
}

// On globalThis: Next.js bundles each route file apart, and every A2A route must share one handler (one task store).
const SERVERS = Symbol.for('spine.a2a.handlers');
const servers: WeakMap<EngineService, SpineA2aRequestHandler> = ((globalThis as Record<symbol, unknown>)[SERVERS] ??= new WeakMap()) as WeakMap<EngineService, SpineA2aRequestHandler>;

/**
 * The A2A request handler of an engine (one per engine: its tasks and event buses are shared by every endpoint).
 * @example const handler = a2aHandlerOf(engine, spine); await serveA2aJsonRpc(handler, req, new SpineCallContext(actor, w, exposed));
 */
export function a2aHandlerOf(engine: EngineService, spine: Spine): SpineA2aRequestHandler {
  let h = servers.get(engine);
  if (!h) {
    h = new SpineA2aRequestHandler(new InMemoryTaskStore(), new RunExecutor(engine, spine));
    servers.set(engine, h);
  }
  return h;
}

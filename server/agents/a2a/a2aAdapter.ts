/**
 * The A2A agent (Agent2Agent protocol 0.3, through `@a2a-js/sdk`'s client): a remote agent registered by
 * its Agent Card URL. Registering fetches the card through the outbound guard (`prepareConfig`) and stores
 * it with the config, so the registry shows its skills and a task needs no extra round trip. A task sends
 * one message, by `message/stream` when the card says `capabilities.streaming`, else by `message/send`
 * (non-blocking, then `tasks/get` until the task ends). Its parts are the task input and the envelope (two data parts, told apart by `metadata.spine`), with the run, node, attempt
 * and idempotency key (and the task's W3C trace context, when it has one) in the message metadata. The A2A
 * task is followed to its end:
 *
 * - every status update (a streamed `status-update`, or a state seen while polling `tasks/get`) is recorded
 *   as `task.progress` through `AgentTools.progress`;
 * - `completed` → the output: the data of the artifacts' data parts (one: itself; several: a list), else
 *   their text as `{ text }`; a direct `Message` answer is read the same way;
 * - `failed` → a retryable error with the agent's message (the node's retry policy decides);
 *   `rejected`, `canceled` (by the agent) and `auth-required` → not retryable;
 * - `input-required` → a question for a person (`AgentTools.ask`: `task.input_required`, answered in the
 *   approvals inbox); the answer goes back to the same A2A task as a new message (text, or a data part),
 *   and the task is followed on. Without `ask` (a tool call) the task fails, not retryable.
 *
 * The abort signal (the node's timeout, the run cancelled, the engine stopping) sends `tasks/cancel` for
 * the A2A task before the call gives up. Every request goes through `outboundFetch` (the SDK's fetch), with
 * `Authorization: Bearer <token>` when the agent has a token (sealed at rest).
 */
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import type { AgentCard, Message, Part, Task, TaskArtifactUpdateEvent, TaskStatus, TaskStatusUpdateEvent } from '@a2a-js/sdk';
import { z } from 'zod';
import { isSpineError, ValidationError } from '@/server/errors';
import { outboundFetch, type OutboundInit } from '@/server/net';
import type { Json } from '@/server/spine';
import { Json as JsonSchema } from '@/server/spine/events';
import { NonRetryableAgentError } from '../errors';
import type { AgentAdapter, AgentRecord, AgentTask, AgentTools } from '../adapter';

/** An A2A agent's config. `card` is filled by Spine when the agent is registered or changed. */
export const A2aConfig = z
  .object({
    /** Where the Agent Card is served (e.g. `https://agents.example/.well-known/agent-card.json`). */
    cardUrl: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'the card url must be http(s)'),
    /** Sent as `Authorization: Bearer <token>` with every request (an API key the card's security asks for); sealed at rest. */
    token: z.string().min(1).max(4096).optional(),
    /** The card as it was fetched (Spine fills it; what a client sends here is replaced). */
    card: z.record(z.string(), JsonSchema).optional(),
  })
  .strict();
export type A2aConfig = z.infer<typeof A2aConfig>;

/** A card over this size is refused at registration. */
const MAX_CARD_BYTES = 256 * 1024;
/** How long `tasks/cancel` may take once the task was aborted. */
const CANCEL_TIMEOUT_MS = 5_000;
/** Polling `tasks/get` for a task that `message/send` left unfinished. */
const POLL_MS = 250;
const TERMINAL = new Set<TaskStatus['state']>(['completed', 'failed', 'canceled', 'rejected']);

/** How long fetching a card at registration may take. */
const CARD_TIMEOUT_MS = 10_000;

/** The SDK's fetch: every request through the outbound guard, with the agent's bearer token (and `timeoutMs` when the SDK passes no signal). */
export function guardedFetch(token?: string, timeoutMs?: number): typeof fetch {
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    if (token) headers.authorization = `Bearer ${token}`;
    const signal = init?.signal ?? (timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined);
    const o: OutboundInit = { method: init?.method ?? 'GET', headers, ...(typeof init?.body === 'string' && { body: init.body }), ...(signal && { signal }) };
    return outboundFetch(url, o);
  };
  return f as typeof fetch;
}

/** Fetches and checks an Agent Card (through the guard); a 400 `agent.invalid_card` says what is wrong. */
export async function fetchAgentCard(cardUrl: string, token?: string): Promise<AgentCard> {
  let card: AgentCard;
  try {
    card = await new DefaultAgentCardResolver({ fetchImpl: guardedFetch(token, CARD_TIMEOUT_MS) }).resolve(cardUrl, '');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ValidationError('agent.card_unreachable', `config.cardUrl: the agent card at ${cardUrl} cannot be fetched: ${why}`, { cardUrl });
  }
  const bad = (why: string) => new ValidationError('agent.invalid_card', `config.cardUrl: ${cardUrl} is not an A2A Agent Card: ${why}`, { cardUrl });
  if (!card || typeof card !== 'object') throw bad('not a JSON object');
  if (typeof card.name !== 'string' || typeof card.url !== 'string' || !/^https?:\/\//i.test(card.url)) throw bad('it needs a name and an http(s) url');
  if (!Array.isArray(card.skills)) throw bad('it has no skills list');
  if (JSON.stringify(card).length > MAX_CARD_BYTES) throw bad(`it is larger than ${MAX_CARD_BYTES} bytes`);
  return card;
}

/** The skills of a stored card, as the registry shows them (a malformed entry is left out). */
export function skillsOf(config: Record<string, Json>): { id: string; name: string; description: string; tags: string[] }[] {
  const skills = (config.card as { skills?: unknown } | undefined)?.skills;
  if (!Array.isArray(skills)) return [];
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return skills.flatMap((s: unknown) => {
    if (!s || typeof s !== 'object') return [];
    const x = s as Record<string, unknown>;
    return [{ id: str(x.id), name: str(x.name) || str(x.id), description: str(x.description), tags: Array.isArray(x.tags) ? x.tags.filter((t): t is string => typeof t === 'string') : [] }];
  });
}

/** What the parts of a message or artifacts say: their data (one part: itself; several: a list), else their text. */
function outputOfParts(parts: Part[]): Json | undefined {
  const data = parts.flatMap((p) => (p.kind === 'data' ? [p.data as Json] : []));
  if (data.length === 1) return data[0];
  if (data.length > 1) return data;
  const text = parts.flatMap((p) => (p.kind === 'text' ? [p.text] : []));
  return text.length ? { text: text.join('\n') } : undefined;
}

const textOf = (m: Message | undefined) => (m ? m.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('\n') : '');
const dataOf = (m: Message | undefined) => (m ? outputOfParts(m.parts.filter((p) => p.kind === 'data')) : undefined);

/** The output of a completed task. */
function outputOfTask(task: Task): Json {
  return outputOfParts((task.artifacts ?? []).flatMap((a) => a.parts)) ?? dataOf(task.status.message) ?? outputOfParts(task.status.message?.parts ?? []) ?? null;
}

export class A2aAdapter implements AgentAdapter {
  readonly kind = 'a2a' as const;
  readonly configSchema = A2aConfig;

  async prepareConfig(config: Record<string, Json>): Promise<Record<string, Json>> {
    const c = A2aConfig.parse(config);
    const card = await fetchAgentCard(c.cardUrl, c.token);
    return { ...config, card: card as unknown as Json };
  }

  async invoke(agent: AgentRecord, task: AgentTask, signal: AbortSignal, tools?: AgentTools): Promise<Json> {
    const parsed = A2aConfig.safeParse(agent.config);
    if (!parsed.success || !parsed.data.card) throw new NonRetryableAgentError(`agent '${agent.name}' has no fetched agent card; change the agent to fetch it again`);
    const { card: rawCard, token } = parsed.data;
    const card = rawCard as unknown as AgentCard;
    const fetchImpl = guardedFetch(token);
    const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl })], preferredTransports: ['JSONRPC'] }));
    let client: Client;
    try {
      client = await factory.createFromAgentCard(card);
    } catch (e) {
      throw new NonRetryableAgentError(`agent '${agent.name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }

    const input = task.input !== null && typeof task.input === 'object' && !Array.isArray(task.input) ? task.input : { value: task.input };
    const message: Message = {
      kind: 'message', role: 'user', messageId: task.idempotencyKey,
      parts: [
        { kind: 'data', data: input as Record<string, unknown>, metadata: { spine: 'input' } },
        { kind: 'data', data: task.envelope as unknown as Record<string, unknown>, metadata: { spine: 'envelope' } },
      ],
      metadata: { spine: { runId: task.runId, nodeId: task.nodeId, attempt: task.attempt, idempotencyKey: task.idempotencyKey }, ...(task.trace && { ...task.trace }) },
    };

    const follow = new TaskFollower(agent.name, tools);
    const cancelRemote = () => {
      const id = follow.taskId;
      if (!id || follow.ended) return;
      void client.cancelTask({ id }, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) }).catch(() => undefined);
    };
    signal.addEventListener('abort', cancelRemote, { once: true });
    try {
      let next = message;
      for (let answers = 1; ; answers++) {
        const outcome = await exchange(client, card, next, follow, agent.name, signal);
        if ('output' in outcome) return outcome.output;
        // input-required, and the engine can ask a person: the answer goes back to the same A2A task.
        const answer = await tools!.ask!({ question: outcome.ask.question, ...(outcome.ask.data !== undefined && { data: outcome.ask.data }), ...(follow.taskId && { remoteTaskId: follow.taskId }) }, signal);
        next = {
          kind: 'message', role: 'user', messageId: `${task.idempotencyKey}:answer:${answers}`, taskId: follow.taskId, ...(follow.contextId && { contextId: follow.contextId }),
          parts: answerParts(answer), metadata: message.metadata,
        };
      }
    } catch (e) {
      if (signal.aborted) cancelRemote();
      if (isSpineError(e)) throw new NonRetryableAgentError(`agent '${agent.name}': ${e.message}`, { cause: e });
      throw e;
    } finally {
      signal.removeEventListener('abort', cancelRemote);
    }
  }
}

type Outcome = { output: Json } | { ask: { question: string; data?: Json } };

/** Sends one message and follows the task until it ends or asks for input. */
async function exchange(client: Client, card: AgentCard, message: Message, follow: TaskFollower, agent: string, signal: AbortSignal): Promise<Outcome> {
  if (card.capabilities?.streaming) {
    for await (const ev of client.sendMessageStream({ message }, { signal })) {
      const done = await follow.on(ev);
      if (done !== undefined) return done;
    }
    if (!follow.taskId) throw new NonRetryableAgentError(`agent '${agent}' ended its stream without an answer`);
  } else {
    // Not blocking: the answer names the A2A task at once, so an abort can cancel it while it works.
    const done = await follow.on(await client.sendMessage({ message, configuration: { blocking: false } }, { signal }));
    if (done !== undefined) return done;
  }
  // Not finished yet (a non-blocking answer, a stream that closed early): poll tasks/get until it ends.
  for (;;) {
    signal.throwIfAborted();
    await sleep(POLL_MS, signal);
    const done = await follow.on(await client.getTask({ id: follow.taskId! }, { signal }));
    if (done !== undefined) return done;
  }
}

/** A person's answer as message parts: text as a text part, anything else as a data part. */
function answerParts(answer: Json): Part[] {
  if (typeof answer === 'string') return [{ kind: 'text', text: answer }];
  const data = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? answer : { value: answer };
  return [{ kind: 'data', data: data as Record<string, unknown>, metadata: { spine: 'answer' } }];
}

/** Follows one A2A task through what the agent sends: records each new status, and says when it ended. */
class TaskFollower {
  taskId?: string;
  contextId?: string;
  ended = false;
  private lastState?: string;
  private lastSeen?: string;
  /** The status that asked the question last answered: seen again (a poll before the agent took the answer in), it asks nothing new. */
  private asked?: TaskStatus;
  /** Artifacts streamed so far, by id. */
  private readonly artifacts = new Map<string, Part[]>();
  constructor(private readonly agent: string, private readonly tools?: AgentTools) {}

  /** Takes one answer or stream event in; resolves with the output once the task completed (throws when it did not). */
  async on(ev: Message | Task | TaskStatusUpdateEvent | TaskArtifactUpdateEvent): Promise<Outcome | undefined> {
    if (ev.kind === 'message') {
      this.ended = true;
      return { output: outputOfParts(ev.parts) ?? null };
    }
    if (ev.kind === 'artifact-update') {
      const prev = this.artifacts.get(ev.artifact.artifactId);
      this.artifacts.set(ev.artifact.artifactId, ev.append && prev ? [...prev, ...ev.artifact.parts] : ev.artifact.parts);
      return undefined;
    }
    this.taskId = ev.kind === 'task' ? ev.id : ev.taskId;
    this.contextId = ev.contextId;
    const status = ev.status;
    if (status.state === 'input-required' && this.asked && sameStatus(status, this.asked)) return undefined;
    const canAsk = status.state === 'input-required' && this.tools?.ask !== undefined;
    // A question is recorded by `ask` itself (task.input_required with its question id).
    if (!canAsk) await this.record(status);
    if (status.state === 'completed') {
      this.ended = true;
      // A streamed completion carries no artifacts: they came before it, as artifact updates.
      if (ev.kind === 'task') return { output: outputOfTask(ev) };
      return { output: outputOfParts([...this.artifacts.values()].flat()) ?? outputOfParts(status.message?.parts ?? []) ?? null };
    }
    const said = textOf(status.message);
    const why = said ? `: ${said}` : '';
    switch (status.state) {
      case 'failed':
        this.ended = true;
        throw new Error(`agent '${this.agent}' failed the task${why}`);
      case 'rejected':
        this.ended = true;
        throw new NonRetryableAgentError(`agent '${this.agent}' rejected the task${why}`);
      case 'canceled':
        this.ended = true;
        throw new NonRetryableAgentError(`agent '${this.agent}' canceled the task${why}`);
      case 'auth-required':
        throw new NonRetryableAgentError(`agent '${this.agent}' asks for authentication Spine does not have${why}`);
      case 'input-required':
        if (canAsk) {
          this.asked = status;
          this.lastState = status.state;
          const data = dataOf(status.message);
          return { ask: { question: said || 'The agent asks for input.', ...(data !== undefined && { data }) } };
        }
        throw new NonRetryableAgentError(`agent '${this.agent}' asked for input${why}, and this call cannot ask a person (only a task can, not a tool call), so it fails`);
      default:
        return undefined;
    }
  }

  private async record(status: TaskStatus) {
    // One event per status the agent set: polling sees the same status again and again.
    const seen = `${status.state}|${status.timestamp ?? ''}|${status.message?.messageId ?? ''}`;
    if (seen === this.lastSeen || (status.state === this.lastState && !status.message && !status.timestamp)) return;
    this.lastSeen = seen;
    this.lastState = status.state;
    const message = textOf(status.message);
    const data = dataOf(status.message);
    await this.tools?.progress?.({ state: status.state, ...(this.taskId && { remoteTaskId: this.taskId }), ...(message && { message }), ...(data !== undefined && { data }) });
  }
}

const sameStatus = (a: TaskStatus, b: TaskStatus) => a.timestamp === b.timestamp && a.message?.messageId === b.message?.messageId;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });
}

/**
 * A remote A2A agent for tests, built only from `@a2a-js/sdk`'s server classes (DefaultRequestHandler,
 * InMemoryTaskStore, an AgentExecutor) and served on 127.0.0.1 through the JSON-RPC HTTP binding. Two
 * cards: `/stream/...` (capabilities.streaming) and `/plain/...` (message/send only). What the agent does
 * is chosen by the task input's `mode`:
 *
 * - `complete`: working (with a text message), an artifact `{ echoed: <input>, sawEnvelope }`, completed;
 * - `fail`: working, then failed with the message "no such contract";
 * - `hang`: working, then waits until `tasks/cancel` (canceled);
 * - `ask`: input-required with the question "Which jurisdiction?"; the answer (a follow-up message on the
 *   same task) completes it with the artifact `{ answered: <the answer's data or text> }`.
 *
 * `received` keeps every user message (to check parts and metadata); `cancelled` every task id cancelled.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentCard, Message } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor, type ExecutionEventBus } from '@a2a-js/sdk/server';
import { serveA2aJsonRpc } from '../a2a/jsonRpcHttp';

export type TestA2aAgent = {
  origin: string;
  /** The card URL of the streaming / non-streaming agent. */
  cardUrl: (kind: 'stream' | 'plain') => string;
  received: Message[];
  cancelled: string[];
  /** Authorization headers seen, in order. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
};

export async function startTestA2aAgent(): Promise<TestA2aAgent> {
  const received: Message[] = [];
  const cancelled: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const waiting = new Map<string, () => void>();

  const executor: AgentExecutor = {
    async execute(ctx, bus) {
      const { taskId, contextId, userMessage } = ctx;
      received.push(userMessage);
      const input = (userMessage.parts.find((p) => p.kind === 'data' && (p.metadata as { spine?: string } | undefined)?.spine === 'input') as { data: Record<string, unknown> } | undefined)?.data ?? {};
      const sawEnvelope = userMessage.parts.some((p) => p.kind === 'data' && (p.metadata as { spine?: string } | undefined)?.spine === 'envelope');
      const status = (state: 'working' | 'completed' | 'failed' | 'canceled' | 'input-required', text?: string, final = false) =>
        bus.publish({ kind: 'status-update', taskId, contextId, final, status: { state, timestamp: new Date().toISOString(), ...(text && { message: { kind: 'message', role: 'agent', messageId: `${taskId}:${state}`, taskId, contextId, parts: [{ kind: 'text', text }] } }) } });
      if (ctx.task) {
        // A follow-up on a task that asked for input: the answer.
        const data = userMessage.parts.find((p) => p.kind === 'data') as { data: unknown } | undefined;
        const text = userMessage.parts.find((p) => p.kind === 'text') as { text: string } | undefined;
        status('working', 'thanks');
        await tick();
        bus.publish({ kind: 'artifact-update', taskId, contextId, artifact: { artifactId: 'result', parts: [{ kind: 'data', data: { answered: data?.data ?? text?.text ?? null } }] } });
        status('completed', undefined, true);
        return bus.finished();
      }
      bus.publish({ kind: 'task', id: taskId, contextId, status: { state: 'submitted', timestamp: new Date().toISOString() }, history: [userMessage] });
      await tick();
      switch (input.mode) {
        case 'fail':
          status('working', 'looking it up');
          await tick();
          status('failed', 'no such contract', true);
          break;
        case 'hang':
          status('working', 'thinking hard');
          await new Promise<void>((resolve) => waiting.set(taskId, resolve));
          status('canceled', 'cancelled on request', true);
          break;
        case 'ask':
          status('input-required', 'Which jurisdiction?', true);
          break;
        default:
          status('working', 'reading the file');
          await tick();
          bus.publish({ kind: 'artifact-update', taskId, contextId, artifact: { artifactId: 'result', parts: [{ kind: 'data', data: { echoed: input, sawEnvelope } }] } });
          status('completed', undefined, true);
      }
      bus.finished();
    },
    async cancelTask(taskId: string, _bus: ExecutionEventBus) {
      cancelled.push(taskId);
      waiting.get(taskId)?.();
    },
  };

  const handlers = new Map<string, DefaultRequestHandler>();
  let origin = '';
  const cardOf = (kind: 'stream' | 'plain'): AgentCard => ({
    name: `contract-reader-${kind}`, description: 'Reads contracts', url: `${origin}/${kind}/rpc`, version: '1.0.0', protocolVersion: '0.3.0',
    capabilities: { streaming: kind === 'stream' }, defaultInputModes: ['application/json'], defaultOutputModes: ['application/json'], preferredTransport: 'JSONRPC',
    skills: [{ id: 'read-contract', name: 'Read a contract', description: 'Finds the clauses that matter', tags: ['legal', 'contracts'] }],
  });

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const kind = url.pathname.split('/')[1] as 'stream' | 'plain';
      const handler = handlers.get(kind);
      if (!handler) return void res.writeHead(404).end();
      if (req.method === 'GET' && url.pathname.endsWith('/agent-card.json')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cardOf(kind)));
      authorizations.push(req.headers.authorization);
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const response = await serveA2aJsonRpc(handler, new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return void res.end();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
      res.end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const kind of ['stream', 'plain'] as const) handlers.set(kind, new DefaultRequestHandler(cardOf(kind), new InMemoryTaskStore(), executor));

  return {
    origin, received, cancelled, authorizations,
    cardUrl: (kind) => `${origin}/${kind}/.well-known/agent-card.json`,
    close: () => {
      for (const w of waiting.values()) w();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * A small OpenAI-compatible Chat Completions server on 127.0.0.1 for tests (node:http, no model): answers
 * are scripted, and every request is recorded so a test asserts what was sent (model, messages as
 * rendered, tools, response_format). Answers, in order: those queued with `queue(...)`, then the `script`
 * function's, then a deterministic echo of the last user message.
 *
 * An answer is deterministic text or JSON (`{ content }`), tool calls (`{ toolCalls }`), an HTTP error with
 * headers (`{ status: 429, headers: { 'retry-after': '1' } }`), a slow answer (`{ delayMs, answer }`), or a
 * raw body (`{ raw }`, e.g. a truncated JSON document). Token usage is ceil(characters / 4) of the prompt
 * and of the answer, so tests can predict it.
 *
 * @example
 * const fake = await startFakeOpenAi();
 * fake.queue({ status: 429, headers: { 'retry-after': '1' } }, { content: '{"ok":true}' });
 * // agent config: { baseUrl: fake.baseUrl, model: 'm', output: 'json' } with SPINE_OUTBOUND_ALLOW=127.0.0.1
 * expect(fake.requests[1]!.body.model).toBe('m');
 * await fake.close();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json } from '@/server/spine';

export type FakeMessage = { role: string; content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };
export type FakeRequestBody = {
  model: string;
  messages: FakeMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: Json } }[];
  response_format?: { type: string; json_schema?: { name: string; schema: Json } };
  temperature?: number;
  max_tokens?: number;
  [k: string]: unknown;
};
export type FakeRequest = { n: number; path: string; headers: http.IncomingHttpHeaders; body: FakeRequestBody };

export type FakeAnswer =
  | { content: string }
  | { toolCalls: { name: string; arguments: Json | string; id?: string }[] }
  | { status: number; headers?: Record<string, string>; body?: Json }
  | { raw: string }
  | { delayMs: number; answer: FakeAnswer };

export type FakeOpenAi = {
  baseUrl: string;
  requests: FakeRequest[];
  /** Answers for the next requests, in order (before the script). */
  queue(...answers: FakeAnswer[]): void;
  /** The answer to a request when nothing is queued (undefined: the echo). */
  script: ((req: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>) | undefined;
  /** The last user message of a request. */
  lastUser(req: FakeRequest): string;
  close(): Promise<void>;
};

const tokens = (s: string) => Math.ceil(s.length / 4);

/** `port`: a fixed loopback port (e2e, where the app is configured before the test starts); 0, any free one. */
export async function startFakeOpenAi(script?: FakeOpenAi['script'], opts: { port?: number } = {}): Promise<FakeOpenAi> {
  const queued: FakeAnswer[] = [];
  const requests: FakeRequest[] = [];
  const lastUser = (req: FakeRequest) => [...req.body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const fake: FakeOpenAi = { baseUrl: '', requests, script, queue: (...a) => void queued.push(...a), lastUser, close: () => Promise.resolve() };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        const request: FakeRequest = { n: requests.length + 1, path: req.url, headers: req.headers, body: JSON.parse(raw) as FakeRequestBody };
        requests.push(request);
        let answer = queued.shift() ?? (await fake.script?.(request)) ?? { content: `echo: ${lastUser(request)}` };
        while ('delayMs' in answer) {
          const { delayMs, answer: next } = answer;
          const gone = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), delayMs);
            res.on('close', () => {
              clearTimeout(t);
              resolve(true);
            });
          });
          if (gone) return;
          answer = next;
        }
        send(res, request, answer);
      })().catch((e: unknown) => res.writeHead(500).end(JSON.stringify({ error: { message: String(e) } })));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

function send(res: http.ServerResponse, req: FakeRequest, a: Exclude<FakeAnswer, { delayMs: number }>) {
  if ('raw' in a) return void res.writeHead(200, { 'content-type': 'application/json' }).end(a.raw);
  if ('status' in a) return void res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.body ?? { error: { message: `scripted ${a.status}`, type: 'fake' } }));
  const prompt = tokens(req.body.messages.map((m) => (m.content ?? '') + (m.tool_calls ? JSON.stringify(m.tool_calls) : '')).join(''));
  const message =
    'content' in a
      ? { role: 'assistant', content: a.content }
      : {
          role: 'assistant',
          content: null,
          tool_calls: a.toolCalls.map((c, i) => ({ id: c.id ?? `call_${req.n}_${i + 1}`, type: 'function', function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } })),
        };
  const completion = tokens('content' in a ? a.content : JSON.stringify(message.tool_calls));
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: `chatcmpl-${req.n}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model: req.body.model,
      choices: [{ index: 0, message, finish_reason: 'content' in a ? 'stop' : 'tool_calls' }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    }),
  );
}

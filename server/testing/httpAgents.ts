/**
 * Webhook agents on 127.0.0.1 for integration tests: one server, one agent per path, every call counted by
 * path. `answer(path, task)` gives the reply (its JSON body, status 200 unless it says another). The outbound
 * guard is opened to loopback while the server runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AgentReply = { status?: number; body: unknown };
/** The task body a webhook agent receives (server/agents/http/httpAdapter.ts), as far as tests read it. */
export type WebhookTask = { input: Record<string, unknown> & { n?: number }; runId: string; nodeId: string; attempt: number };

export type HttpAgents = {
  /** The server's origin: an agent's URL is this plus its path. */
  url: string;
  /** Every call's path, in order. */
  calls: string[];
  count(path: string): number;
  close(): Promise<void>;
};

export async function serveHttpAgents(answer: (path: string, task: WebhookTask) => AgentReply | Promise<AgentReply>): Promise<HttpAgents> {
  process.env.SPINE_OUTBOUND_ALLOW = '127.0.0.1';
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      calls.push(path);
      const a = await answer(path, JSON.parse(body) as WebhookTask);
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    count: (path) => calls.filter((c) => c === path).length,
    async close() {
      delete process.env.SPINE_OUTBOUND_ALLOW;
      await new Promise((r) => server.close(r));
    },
  };
}

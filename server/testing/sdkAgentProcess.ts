/**
 * A child process that serves sdk agents with the real `@spine/sdk` (packages/sdk), for the multi-process
 * tests and the benchmark. Each agent runs the builtin behaviour of the same name (server/agents/builtin),
 * so its outputs are those of the in-process agents.
 *
 * Env: SPINE_URL; SPINE_AGENT_KEYS (JSON `{ "<agent>": "<agent key>" }`); SDK_MODE `serve` (default) or
 * `hang` (each task waits until its ctx.signal aborts); SDK_LATENCY_MS (simulated work, default 0);
 * SDK_CONCURRENCY (default 64); SDK_QUIET=1 prints only `ready`; SDK_TRANSPORT `node` (default: the SDK's own
 * node:http transport) or `fetch` (through a watching `fetch`, which also prints each lease token it sees).
 * Prints `ready`, then per task `claimed <id> <token>` (with SDK_TRANSPORT=fetch), `started <agent> <key>`, `done <agent> <key>` or
 * `aborted <agent> <key> <reason>`. SIGTERM stops every agent after draining the tasks in hand (`stopped`).
 */
import { BUILTIN_BEHAVIOURS } from '@/server/agents';
import type { Envelope } from '@/server/spine';
import { createSpine } from '../../packages/sdk/src/index';

const url = process.env.SPINE_URL!;
const keys = JSON.parse(process.env.SPINE_AGENT_KEYS ?? '{}') as Record<string, string>;
const mode = process.env.SDK_MODE ?? 'serve';
const latencyMs = Number(process.env.SDK_LATENCY_MS ?? 0);
const concurrency = Number(process.env.SDK_CONCURRENCY ?? 64);
const quiet = process.env.SDK_QUIET === '1';
const viaFetch = process.env.SDK_TRANSPORT === 'fetch';
const say = (line: string) => {
  if (!quiet) process.stdout.write(`${line}\n`);
};

/**
 * Reports each lease token this process gets (so a test can post a late result with it after a kill -9):
 * from a claim's answer, or from a task its stream leased to it (`claim` in the message).
 */
const watchingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const path = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const m = /\/agent\/tasks\/(\d+)\/claim$/.exec(path);
  if (m && res.ok && !quiet) {
    const body = (await res.clone().json()) as { token: string };
    say(`claimed ${m[1]} ${body.token}`);
  }
  if (path.includes('/agent/tasks/stream') && res.ok && res.body && !quiet) {
    let buffered = '';
    const decoder = new TextDecoder();
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        buffered += decoder.decode(chunk, { stream: true });
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith('data: ')) continue;
          const data = JSON.parse(line.slice(6)) as { id?: number; claim?: { token: string } };
          if (data.claim) say(`claimed ${data.id} ${data.claim.token}`);
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(watch), { status: res.status, statusText: res.statusText, headers: res.headers });
  }
  return res;
};

const agents = Object.entries(keys).map(([name, apiKey]) =>
  createSpine({ url, apiKey, ...(viaFetch && { fetch: watchingFetch }) }).agent({
    name,
    concurrency,
    onError: (e) => console.error(`agent ${name}:`, e),
    async handle(task, ctx) {
      say(`started ${name} ${task.key}`);
      say(`trace ${name} ${task.key} ${ctx.traceparent ?? '-'}`);
      if (mode === 'hang') {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        say(`aborted ${name} ${task.key} ${String((ctx.signal.reason as Error)?.message ?? ctx.signal.reason)}`);
        throw new Error('aborted');
      }
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      const behaviour = BUILTIN_BEHAVIOURS[name];
      const output = behaviour
        ? behaviour.run({ runId: task.runId, nodeId: task.nodeId, attempt: task.attempt, idempotencyKey: task.key, input: task.input, envelope: ctx.envelope as unknown as Envelope, event: { seq: task.id, id: '', type: 'task.dispatched' } })
        : { echo: task.input };
      say(`done ${name} ${task.key}`);
      return output;
    },
  }),
);

await Promise.all(agents.map((a) => a.start()));
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await Promise.all(agents.map((a) => a.stop()));
  process.stdout.write('stopped\n');
  process.exit(0);
});

/**
 * A child-process Spine with the workflow engine, for kill -9 tests: opens the spine on DATABASE_URL,
 * Prisma, the engine (which recovers every active run from the log before it follows the spine), seeds
 * the demo agents and workflows with small agent latencies, and serves the real `/api/v1` handlers on
 * 127.0.0.1 (no Next build needed). Prints `ready <port>`; SIGTERM shuts it down cleanly.
 * Usage: tsx server/testing/engineServer.ts <port> [agent latency ms, default 10]
 *
 * SPINE_TEST_HOLD (JSON `{ freeRuns, partialRuns, partialHolds }`) makes work in flight a fact rather than a
 * matter of timing, for a test that kills this process: runs are numbered in the order their first agent
 * call arrives; the first `freeRuns` runs are served normally, the next `partialRuns` have the calls to the
 * agents named in `partialHolds` held, and every later run has all its calls held. A held call never
 * answers (it ends only when the engine aborts it, or with the process) and is announced on stdout as
 * `held <agent> <runId>`. The agent behaviour itself is the real builtin one.
 */
import { z } from 'zod';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import { openSpine } from '@/server/spine';
import { createDb } from '@/server/db/client';
import { startEngine } from '@/server/engine';
import { seedDemo } from '@/server/demo/seed';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { v1Routes } from './v1Routes';

const url = process.env.DATABASE_URL!;
const port = Number(process.argv[2] ?? 0);
const latencyMs = Number(process.argv[3] ?? 10);

const HoldPolicy = z
  .object({ freeRuns: z.number().int().min(0), partialRuns: z.number().int().min(0).default(0), partialHolds: z.array(z.string()).default([]) })
  .strict();

if (process.env.SPINE_TEST_HOLD) {
  const hold = HoldPolicy.parse(JSON.parse(process.env.SPINE_TEST_HOLD));
  const invoke = BuiltinAdapter.prototype.invoke;
  const runOrder = new Map<string, number>();
  BuiltinAdapter.prototype.invoke = function (this: BuiltinAdapter, agent, task, signal) {
    if (!runOrder.has(task.runId)) runOrder.set(task.runId, runOrder.size);
    const n = runOrder.get(task.runId)!;
    const held = n >= hold.freeRuns + hold.partialRuns || (n >= hold.freeRuns && hold.partialHolds.includes(agent.name));
    if (!held) return invoke.call(this, agent, task, signal);
    console.log(`held ${agent.name} ${task.runId}`);
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true }));
  };
}

const spine = await openSpine({ databaseUrl: url });
const db = createDb(url);
const engine = await startEngine({ spine, db, databaseUrl: url });
await engine.leading();
const agents = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'];
await seedDemo(engine, { latency: false, config: Object.fromEntries(agents.map((a) => [a, { latencyMs }])) });

const services = async () => ({ spine, maxPayloadBytes: 256 * 1024, engine, db });
const server = createNodeServer(v1Routes(services));
server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  await engine.stop();
  await db.$disconnect();
  await spine.close();
  process.exit(0);
});

/**
 * A child-process Spine with the workflow engine, for kill -9 tests: opens the spine on DATABASE_URL,
 * Prisma, the engine (which recovers every active run from the log before it follows the spine), seeds
 * the demo agents and workflows with small agent latencies, and serves the real `/api/v1` handlers on
 * 127.0.0.1 (no Next build needed). Prints `ready <port>`; SIGTERM shuts it down cleanly.
 * Usage: tsx server/testing/engineServer.ts <port> [agent latency ms, default 10]
 */
import { openSpine } from '@/server/spine';
import { createDb } from '@/server/db/client';
import { startEngine } from '@/server/engine';
import { seedDemo } from '@/server/demo/seed';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { v1Routes } from './v1Routes';

const url = process.env.DATABASE_URL!;
const port = Number(process.argv[2] ?? 0);
const latencyMs = Number(process.argv[3] ?? 10);

const spine = await openSpine({ databaseUrl: url });
const db = createDb(url);
const engine = await startEngine({ spine, db, databaseUrl: url });
await engine.leading();
const agents = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'];
await seedDemo(engine, { latency: false, config: Object.fromEntries(agents.map((a) => [a, { latencyMs }])) });

const services = async () => ({ spine, maxPayloadBytes: 256 * 1024, engine });
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

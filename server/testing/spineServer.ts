/**
 * A child-process Spine for crash and cross-process tests: opens the spine on DATABASE_URL and serves
 * the real `/api/v1/events` handlers on 127.0.0.1 (no Next build needed). Prints `ready <port>`.
 * Usage: tsx server/testing/spineServer.ts <port>   (SPINE_SQLITE_WRITER=thread: the SQLite writer thread)
 */
import { openSpine } from '@/server/spine';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { eventsApi } from '@/server/http/v1/events';
import { auditApi } from '@/server/http/v1/audit';

const url = process.env.DATABASE_URL!;
const port = Number(process.argv[2] ?? 0);
const spine = await openSpine({ databaseUrl: url, sqliteWriter: process.env.SPINE_SQLITE_WRITER === 'thread' ? 'thread' : 'inline' });
const services = async () => ({ spine, maxPayloadBytes: 256 * 1024 });
const events = eventsApi(services);
const server = createNodeServer([
  { method: 'POST', path: '/api/v1/events', handler: events.post },
  { method: 'GET', path: '/api/v1/events', handler: events.list },
  { method: 'GET', path: '/api/v1/events/stream', handler: events.stream },
  { method: 'GET', path: '/api/v1/audit/verify', handler: auditApi(services).verify },
]);
server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', async () => {
  server.close();
  await spine.close();
  process.exit(0);
});

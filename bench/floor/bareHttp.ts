/**
 * The HTTP floor (issue 15): a bare `node:http` server doing what Spine's publish has to do at the least,
 * so the HTTP bench can print Spine's figures as a ratio to it. `POST /api/v1/events` reads the JSON body
 * (Spine's publish shape: `type`, optional `key`, `runId`, `causationId`, `source`, `payload`,
 * `idempotencyKey`), checks a bearer key against an in-memory set, appends through the floor engine's
 * group-commit log (bench/floor/minimalEngine.ts) and answers 201 `{ seq, id }` after the commit.
 * `POST /api/v1/workflows/{id}/runs` starts the legal case on the floor engine (0 ms agents) and answers
 * 202 `{ runId }` once the run's first commit is durable.
 *
 * Run as a child process: `node --import tsx bench/floor/bareHttp.ts`, with FLOOR_API_KEY, FLOOR_DIR and
 * FLOOR_SYNCHRONOUS; it listens on a free loopback port and prints `listening <port>`. SIGTERM stops it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { GroupCommitLog, MinimalEngine, floorAgents } from './minimalEngine';

const MAX_BODY_BYTES = 1 << 20;
const TYPE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/;
const START_RUN = /^\/api\/v1\/workflows\/[^/]+\/runs$/;

const keys = new Set([process.env.FLOOR_API_KEY ?? 'spk_floor_key']);
const file = path.join(process.env.FLOOR_DIR ?? '/tmp', `floor-http-${process.pid}.db`);
const log = new GroupCommitLog(file, process.env.FLOOR_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL');
const engine = new MinimalEngine(log, floorAgents(0));

function reply(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if ((size += c.length) > MAX_BODY_BYTES) reject(new Error('too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    req.on('error', reject);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  const publish = url === '/api/v1/events';
  if (req.method !== 'POST' || (!publish && !START_RUN.test(url))) return reply(res, 404, { error: { code: 'route.not_found', message: 'no such route' } });
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ') || !keys.has(auth.slice(7))) return reply(res, 401, { error: { code: 'auth.required', message: 'bearer key required' } });
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    return reply(res, 400, { error: { code: 'request.invalid_json', message: 'body is not JSON' } });
  }
  if (!isObject(body)) return reply(res, 400, { error: { code: 'event.invalid', message: 'body must be an object' } });
  if (!publish) {
    const { runId } = await engine.start(body.input ?? {});
    return reply(res, 202, { runId });
  }
  const { type, runId, payload, ...rest } = body;
  if (typeof type !== 'string' || !TYPE.test(type)) return reply(res, 400, { error: { code: 'event.invalid', message: 'type: a dotted name' } });
  if (runId !== undefined && typeof runId !== 'string') return reply(res, 400, { error: { code: 'event.invalid', message: 'runId: a string' } });
  const id = uuidv7();
  const seq = await log.append([{ id, type, runId: runId ?? null, payload: { ...rest, payload: payload ?? {} } }]);
  reply(res, 201, { seq, id });
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => reply(res, 500, { error: { code: 'internal', message: 'internal error' } }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    log.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    process.exit(0);
  });
});

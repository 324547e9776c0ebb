/**
 * The tRPC endpoint over real HTTP on loopback: a body over the limit is refused with 413 before it is
 * parsed, whether it declares its length or streams without one, and nothing is created.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '@/server/api/actor';
import { handleTrpc, TRPC_MAX_BODY_BYTES } from '@/server/api/handler';
import { createContextInner, type Context } from '@/server/api/trpc';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { createNode } from '@/server/workflows/schema';

let h: Harness;
let server: Server;
let origin: string;

beforeAll(async () => {
  h = await openHarness();
  const context = async (): Promise<Context> => createContextInner({ actor: LOCAL_OPERATOR, services: { spine: h.spine, engine: h.service, db: h.db } });
  server = createNodeServer([{ method: 'POST', path: /^\/api\/trpc\//, handler: (req) => handleTrpc(req, { createContext: context }) }]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

const document = { formatVersion: 1, nodes: [createNode('trigger', 'start'), createNode('end', 'done')], edges: [{ id: 'e', source: 'start', target: 'done' }] };
const create = (body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${origin}/api/trpc/workflows.create`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, duplex: 'half' } as RequestInit);
const count = async () => (await h.service.workflows.list()).length;

describe(`tRPC endpoint (${testDbKind()})`, () => {
  it('passes a body under the limit through', async () => {
    const res = await create(JSON.stringify({ name: 'Small enough', document }));
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('refuses a body over the limit with 413 and creates nothing, declared or streamed', async () => {
    const before = await count();
    const huge = JSON.stringify({ name: 'Huge', document: { ...document, nodes: document.nodes.map((n) => ({ ...n, label: 'x'.repeat(TRPC_MAX_BODY_BYTES) })) } });
    const declared = await create(huge);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } } });

    // No Content-Length: chunks of 1 MiB until the limit is passed.
    const chunk = new TextEncoder().encode(' '.repeat(1024 * 1024));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > TRPC_MAX_BODY_BYTES * 2) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const streamed = await create(endless);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(TRPC_MAX_BODY_BYTES * 2 + chunk.byteLength);
    expect(await count()).toBe(before);
  });
});

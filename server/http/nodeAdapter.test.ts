/**
 * The node:http adapter streams a response at the pace of its client: with a client that does not read, the
 * handler's stream is pulled only until the socket's buffers are full, not to its end; once the client
 * reads, all of it arrives.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeServer } from './nodeAdapter';

const CHUNK = 64 * 1024;
const CHUNKS = 800; // 50 MiB
let close: (() => void) | undefined;
afterEach(() => close?.());

describe('the node:http adapter', () => {
  it('pulls a streamed response no faster than its client reads it', async () => {
    let pulled = 0;
    const server = createNodeServer([
      {
        method: 'GET',
        path: '/stream',
        handler: async () =>
          new Response(
            new ReadableStream<Uint8Array>({
              pull(c) {
                if (pulled++ >= CHUNKS) c.close();
                else c.enqueue(new Uint8Array(CHUNK));
              },
            }, { highWaterMark: 1 }),
          ),
      },
    ]);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.pause();
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(pulled).toBeLessThan(CHUNKS / 4);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.resume();
    await new Promise((r) => socket.on('end', r));
    expect(pulled).toBe(CHUNKS + 1);
    expect(received).toBeGreaterThan(CHUNK * CHUNKS);
  });
});

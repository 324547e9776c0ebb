/**
 * Durability under kill -9: a client streams appends over real HTTP to a Spine server process; the server
 * is killed with SIGKILL mid-stream and restarted. Every acknowledged event must be present with the id it
 * was acknowledged with, the chain must verify, and numbering must continue without a gap. "Mid-stream" is
 * a fact: the clients never pause between appends, and the test checks that all of them had one in flight.
 */
import { describe, expect, it } from 'vitest';
import { openSpine } from '@/server/spine';
import { freeUrlPort } from '@/server/testing/net';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { spawnTs, waitForLine } from '@/server/testing/processes';

// On SQLite, for both writers: inline (the default) and the writer thread (SPINE_SQLITE_WRITER=thread).
const writers = testDbKind() === 'sqlite' ? (['inline', 'thread'] as const) : (['inline'] as const);

describe.each(writers)(`crash safety (${testDbKind()}, %s writer)`, (writer) => {
  it('after kill -9 mid-stream and a restart, every acknowledged event is there and the chain verifies', async () => {
    const url = await freshDatabaseUrl();
    const port = await freeUrlPort();
    const server = spawnTs('server/testing/spineServer.ts', [String(port)], { DATABASE_URL: url, SPINE_SQLITE_WRITER: writer });
    await waitForLine(server, /ready (\d+)/, 60_000);
    const base = `http://127.0.0.1:${port}/api/v1/events`;
    const acked = new Map<number, string>();
    let stop = false;
    let failures = 0;
    let inFlight = 0;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        inFlight++;
        try {
          const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'crash.probe', key: `c${c}`, payload: { c, i } }) });
          if (res.status === 201) {
            const { seq, id } = (await res.json()) as { seq: number; id: string };
            acked.set(seq, id);
          }
        } catch {
          failures++;
          return; // the server is gone
        } finally {
          inFlight--;
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    while (acked.size < 400) await new Promise((r) => setTimeout(r, 5));
    // Each client is suspended inside its request (nothing runs between a client's requests but sync code).
    const inFlightAtKill = inFlight;
    server.kill('SIGKILL');
    await Promise.all(clients);
    stop = true;
    expect(inFlightAtKill, 'appends in flight at the kill').toBe(8);
    expect(failures, 'clients that lost the server mid-stream').toBe(8);

    const spine = await openSpine({ databaseUrl: url, sqliteWriter: writer });
    try {
      const head = await spine.head();
      expect(head).toBeGreaterThanOrEqual(Math.max(...acked.keys()));
      const stored = new Map<number, string>();
      for (let after = 0; ; ) {
        const page = await spine.read({ after, limit: 1000 });
        if (!page.length) break;
        for (const e of page) stored.set(e.seq, e.id);
        after = page[page.length - 1]!.seq;
      }
      const missing = [...acked].filter(([seq, id]) => stored.get(seq) !== id);
      expect(missing).toEqual([]);
      expect(await spine.verify()).toMatchObject({ ok: true, checked: head });
      expect((await spine.publish({ type: 'crash.after' })).seq).toBe(head + 1);
    } finally {
      await spine.close();
    }
  }, 120_000);
});

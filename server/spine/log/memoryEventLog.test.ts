/**
 * The event log contract (eventLog.contract.ts) on the in-memory log: the same cases as on SQLite and
 * PostgreSQL, without a database. A `url` names a storage, so "reopening" and "a second writer on the same
 * database" open another log on the same `MemoryLogStorage`; tampering edits the storage behind its back.
 * Then what is the memory log's own: separate storages, refusal after close, copies handed to callers.
 */
import { describe, expect, it } from 'vitest';
import { logQueries, spineOver } from '@/server/spine';
import { describeEventLogContract, type LogStorage } from './eventLog.contract';
import { MemoryEventLog, MemoryLogStorage } from './memoryEventLog';

const storages = new Map<string, MemoryLogStorage>();
const storageAt = (url: string): MemoryLogStorage => {
  const s = storages.get(url);
  if (!s) throw new Error(`no memory storage '${url}'`);
  return s;
};
const rowAt = (url: string, seq: number) => {
  const row = storageAt(url).rowAt(seq);
  if (!row) throw new Error(`no row ${seq} in '${url}'`);
  return row;
};

const memoryStorage: LogStorage = {
  async storedPayload(url, seq) {
    return rowAt(url, seq).payload;
  },
  async editRow(url, seq, change) {
    Object.assign(rowAt(url, seq), change);
  },
  async swapPayloads(url, a, b) {
    const [x, y] = [rowAt(url, a), rowAt(url, b)];
    [x.payload, y.payload] = [y.payload, x.payload];
  },
  async deleteRow(url, seq) {
    const s = storageAt(url);
    s.rows.splice(s.rows.indexOf(rowAt(url, seq)), 1);
  },
  async blobCount(_spine, url) {
    return storageAt(url).blobs.size;
  },
  async tamperBlob(_spine, url, sha256, how) {
    const blobs = storageAt(url).blobs;
    if (how === 'delete') blobs.delete(sha256);
    else blobs.set(sha256, Buffer.from(blobs.get(sha256)!.toString('utf8').replace('Zusammenfassung', 'Zusammenfassunk')));
  },
};

describeEventLogContract(
  'memory',
  async (opts) => {
    const url = opts?.url ?? `memory:${storages.size + 1}`;
    if (!storages.has(url)) storages.set(url, new MemoryLogStorage());
    const log = new MemoryEventLog({ storage: storageAt(url), maxPayloadBytes: opts?.maxPayloadBytes, inlinePayloadBytes: opts?.inlinePayloadBytes });
    return { url, spine: spineOver(log) };
  },
  memoryStorage,
);

describe('memory log: what is its own', () => {
  it('each log without a storage starts empty and shares nothing', async () => {
    const a = spineOver(new MemoryEventLog());
    const b = spineOver(new MemoryEventLog());
    await a.publish({ type: 'only.here' });
    expect([await a.head(), await b.head()]).toEqual([1, 0]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a closed log refuses appends and reads, as a closed database does', async () => {
    const spine = spineOver(new MemoryEventLog());
    await spine.publish({ type: 'x.one' });
    await spine.close();
    await expect(spine.publish({ type: 'x.two' })).rejects.toThrow(/closed/);
    await expect(spine.read({ after: 0, limit: 1 })).rejects.toThrow(/closed/);
    await expect(spine.head()).rejects.toThrow(/closed/);
  });

  it('what a caller gets back is a copy: changing it changes nothing stored', async () => {
    const spine = spineOver(new MemoryEventLog());
    await spine.publish({ type: 'run.started', runId: 'r', payload: { workflowId: 'wf', version: 1, state: { n: 1 } } });
    (await spine.getEvent(1)).payload = { forged: true };
    (await spine.envelope('r')).state.n = 99;
    (await spine.getRun('r'))!.status = 'failed';
    expect((await spine.getEvent(1)).payload).toMatchObject({ workflowId: 'wf' });
    expect((await spine.envelope('r')).state).toEqual({ n: 1 });
    expect((await spine.getRun('r'))!.status).toBe('running');
    expect(await spine.verify()).toMatchObject({ ok: true, checked: 1 });
    await spine.close();
  });

  it("is stored in memory, not in a SQL dialect: it has no database URL and no query port", async () => {
    const spine = spineOver(new MemoryEventLog());
    expect([spine.dialect, spine.log.databaseUrl, spine.log.queries]).toEqual(['memory', null, null]);
    expect(() => logQueries(spine.log)).toThrow(/memory log has no SQL/);
    await spine.close();
  });
});

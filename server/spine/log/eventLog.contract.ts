/**
 * The contract every event log implementation must keep, written once and run on each of them: SQLite and
 * PostgreSQL (eventLog.int.test.ts picks the database from SPINE_TEST_DB) and the in-memory log
 * (memoryEventLog.test.ts, a unit test). Tests state behaviour in the log's own words: append, read,
 * idempotency, chain verification, envelopes, run index, subscriptions, durable consumers and large payloads.
 *
 * Tampering (editing a row or a blob behind the log's back) goes through a `LogStorage` port that each runner
 * provides: SQL for the databases (`sqlStorage`), the storage object for the memory log. The few cases that
 * are about a database itself (its triggers refuse UPDATE and DELETE) run only when the port has `sql`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { logQueries, type Spine } from '@/server/spine';
import type { Json, SpineEvent } from '@/server/spine/events';
import { blobRefOf, type BlobRef } from '@/server/spine/blobs';
import { canonicalJson } from './hashChain';

type OpenOptions = { maxPayloadBytes?: number; inlinePayloadBytes?: number; url?: string };
/** Opens a spine on a fresh store, or on the store `url` names (to reopen it, or to open a second writer). */
export type OpenSpine = (opts?: OpenOptions) => Promise<{ spine: Spine; url: string }>;
/** Runs raw SQL against the test database, bypassing Spine (to tamper, as an attacker with DB access would). */
export type RawSql = (url: string, sql: string) => Promise<Record<string, unknown>[]>;

/** Access to a log's storage behind its back, as an attacker with storage access would have it. */
export type LogStorage = {
  /** Raw SQL, when the log is on a database: the database-only cases run only then. */
  sql?: RawSql;
  /** The payload text stored in the row (inline JSON or a blob stub). */
  storedPayload(url: string, seq: number): Promise<string>;
  /** Overwrites stored columns of one row. */
  editRow(url: string, seq: number, change: { payload?: string; type?: string }): Promise<void>;
  /** Swaps the stored payloads of two rows. */
  swapPayloads(url: string, a: number, b: number): Promise<void>;
  deleteRow(url: string, seq: number): Promise<void>;
  blobCount(spine: Spine, url: string): Promise<number>;
  /** Alters (or removes) a stored blob. */
  tamperBlob(spine: Spine, url: string, sha256: string, how: 'edit' | 'delete'): Promise<void>;
};

/** Where the SQLite log keeps its blob files (read structurally: the contract does not downcast to a class). */
type BlobDir = { dir: string; pathOf(sha256: string): string };
const blobDirOf = (spine: Spine): BlobDir | undefined => (spine.log as { blobs?: BlobDir }).blobs;

/** The storage port over SQL: rows in `events`, blobs as files (SQLite) or in the `blobs` table (PostgreSQL). */
export function sqlStorage(raw: RawSql): LogStorage {
  /** Immutability triggers are dropped first: tampering models someone who can. */
  const dropTrigger = async (url: string, name: string) => raw(url, `DROP TRIGGER IF EXISTS ${name}${url.startsWith('postgres') ? ' ON events' : ''}`);
  return {
    sql: raw,
    async storedPayload(url, seq) {
      return String((await raw(url, `SELECT payload FROM events WHERE seq = ${seq}`))[0]!.payload);
    },
    async editRow(url, seq, change) {
      await dropTrigger(url, 'events_no_update');
      const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
      const set = Object.entries(change).map(([col, v]) => `${col} = ${quote(v)}`);
      await raw(url, `UPDATE events SET ${set.join(', ')} WHERE seq = ${seq}`);
    },
    async swapPayloads(url, a, b) {
      await dropTrigger(url, 'events_no_update');
      await raw(url, `UPDATE events SET payload = CASE seq WHEN ${a} THEN (SELECT payload FROM events WHERE seq = ${b}) ELSE (SELECT payload FROM events WHERE seq = ${a}) END WHERE seq IN (${a}, ${b})`);
    },
    async deleteRow(url, seq) {
      await dropTrigger(url, 'events_no_delete');
      await raw(url, `DELETE FROM events WHERE seq = ${seq}`);
    },
    async blobCount(spine, url) {
      const files = blobDirOf(spine);
      if (files) {
        if (!existsSync(files.dir)) return 0;
        return readdirSync(files.dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.name.startsWith('.')).length;
      }
      return Number((await raw(url, 'SELECT count(*) AS n FROM blobs'))[0]!.n);
    },
    async tamperBlob(spine, url, sha256, how) {
      const files = blobDirOf(spine);
      if (files) {
        const file = files.pathOf(sha256);
        if (how === 'delete') rmSync(file);
        else writeFileSync(file, readFileSync(file, 'utf8').replace('Zusammenfassung', 'Zusammenfassunk'));
        return;
      }
      await raw(url, `DROP TRIGGER blobs_no_${how === 'edit' ? 'update' : 'delete'} ON blobs`);
      if (how === 'delete') await raw(url, `DELETE FROM blobs WHERE sha256 = '${sha256}'`);
      else await raw(url, `UPDATE blobs SET content = convert_to(replace(convert_from(content, 'UTF8'), 'Zusammenfassung', 'Zusammenfassunk'), 'UTF8') WHERE sha256 = '${sha256}'`);
    },
  };
}

async function take(it: AsyncGenerator<SpineEvent>, n: number): Promise<SpineEvent[]> {
  const out: SpineEvent[] = [];
  if (n === 0) return out;
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

export function describeEventLogContract(name: string, open: OpenSpine, storage: LogStorage) {
  const raw = storage.sql;
  describe(`event log contract: ${name}`, () => {
    const opened: Spine[] = [];
    const fresh = async (opts?: OpenOptions) => {
      const r = await open(opts);
      opened.push(r.spine);
      return r;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    });

    it('numbers appends 1, 2, 3 … and reads them back in seq order with every field', async () => {
      const { spine } = await fresh();
      const [a] = await spine.append([{ type: 'case.opened', key: 'case:1', payload: { title: 'A' }, source: { kind: 'agent', name: 'intake' } }]);
      const [b, c] = await spine.append([
        { type: 'case.noted', key: 'case:1', runId: 'r1', causationId: a!.id, payload: { n: 1 } },
        { type: 'booking.requested', key: 'booking:42', payload: [1, 'two', null] },
      ]);
      expect([a!.seq, b!.seq, c!.seq]).toEqual([1, 2, 3]);
      const events = await spine.read({ after: 0, limit: 10 });
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(events[0]).toMatchObject({ type: 'case.opened', key: 'case:1', source: { kind: 'agent', name: 'intake' }, payload: { title: 'A' }, runId: null });
      expect(events[1]).toMatchObject({ causationId: a!.id, runId: 'r1' });
      expect(events[2]!.payload).toEqual([1, 'two', null]);
      expect(events[1]!.prevHash).toBe(events[0]!.hash);
      expect(events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await spine.head()).toBe(3);
    });

    it('filters reads by type pattern, key and run', async () => {
      const { spine } = await fresh();
      await spine.append([
        { type: 'case.opened', key: 'k1' },
        { type: 'case.note.added', key: 'k2' },
        { type: 'cases.opened', key: 'k1' },
        { type: 'booking.confirmed', key: 'k1', runId: 'r' },
      ]);
      const types = async (t: string[]) => (await spine.read({ after: 0, limit: 10, filter: { types: t } })).map((e) => e.seq);
      expect(await types(['case.*'])).toEqual([1, 2]);
      expect(await types(['case.opened'])).toEqual([1]);
      expect(await types(['*.opened'])).toEqual([1, 3]);
      expect(await types(['*'])).toEqual([1, 2, 3, 4]);
      expect(await types(['case.opened', 'booking.*'])).toEqual([1, 4]);
      expect((await spine.read({ after: 0, limit: 10, filter: { key: 'k1' } })).map((e) => e.seq)).toEqual([1, 3, 4]);
      expect((await spine.read({ after: 0, limit: 10, filter: { runId: 'r' } })).map((e) => e.seq)).toEqual([4]);
      expect((await spine.read({ after: 2, limit: 1 })).map((e) => e.seq)).toEqual([3]);
    });

    it('reads newest first (for "latest events" views), before an exclusive cursor, filtered', async () => {
      const { spine } = await fresh();
      await spine.append([{ type: 'case.opened', key: 'k1' }, { type: 'case.closed', key: 'k2' }, { type: 'case.opened', key: 'k1' }, { type: 'booking.made', key: 'k1' }]);
      const seqsOf = async (q: Parameters<Spine['read']>[0]) => (await spine.read(q)).map((e) => e.seq);
      expect(await seqsOf({ after: 0, limit: 2, descending: true })).toEqual([4, 3]);
      expect(await seqsOf({ after: 3, limit: 10, descending: true })).toEqual([2, 1]);
      expect(await seqsOf({ after: 0, limit: 10, descending: true, filter: { key: 'k1', types: ['case.*'] } })).toEqual([3, 1]);
    });

    it('refuses invalid events with a coded error and appends nothing, even when one of several is bad', async () => {
      const { spine } = await fresh();
      await expect(spine.append([{ type: 'ok.event' }, { type: 'NotDotted' }])).rejects.toMatchObject({ code: 'event.invalid', httpStatus: 400 });
      await expect(spine.append([{ type: 'ok.event', extra: 1 } as never])).rejects.toMatchObject({ code: 'event.invalid' });
      expect(await spine.head()).toBe(0);
    });

    it('writes the seq an earlier event of the append received into basedOnSeq, as canonical stored text', async () => {
      const { spine, url } = await fresh();
      await spine.publish({ type: 'x.before' });
      const [started, dispatched] = await spine.append([
        { type: 'run.started', runId: 'r1', payload: { state: {} } },
        { type: 'task.dispatched', runId: 'r1', basedOnIndex: 0, payload: { zeta: { b: 2, a: 1 }, attempt: 1, nodeId: 'n' } },
      ]);
      const [event] = await spine.read({ after: started!.seq, limit: 1 });
      expect(event).toMatchObject({ seq: dispatched!.seq, payload: { zeta: { a: 1, b: 2 }, attempt: 1, nodeId: 'n', basedOnSeq: started!.seq } });
      expect(await storage.storedPayload(url, dispatched!.seq)).toBe(canonicalJson({ attempt: 1, basedOnSeq: started!.seq, nodeId: 'n', zeta: { a: 1, b: 2 } }));
      expect(await spine.verify()).toMatchObject({ ok: true, checked: 3 });
      await expect(spine.append([{ type: 'task.dispatched', runId: 'r1', basedOnIndex: 0, payload: {} }])).rejects.toMatchObject({ code: 'event.invalid', httpStatus: 400 });
      await expect(spine.append([{ type: 'a.first' }, { type: 'b.second', basedOnIndex: 2, payload: {} }])).rejects.toMatchObject({ code: 'event.invalid' });
      expect(await spine.head()).toBe(3);
    });

    it('rejects a payload over the limit with 413 and stores nothing', async () => {
      const { spine } = await fresh({ maxPayloadBytes: 2048 });
      await expect(spine.publish({ type: 'big.blob', payload: { s: 'x'.repeat(3000) } })).rejects.toMatchObject({ code: 'event.payload_too_large', httpStatus: 413 });
      expect(await spine.head()).toBe(0);
      await spine.publish({ type: 'small.blob', payload: { s: 'x'.repeat(1000) } });
      expect(await spine.head()).toBe(1);
    });

    it('appends an idempotency key once, even under 50 concurrent duplicate publishes', async () => {
      const { spine } = await fresh();
      await spine.publish({ type: 'x.before' });
      const results = await Promise.all(Array.from({ length: 50 }, () => spine.publish({ type: 'order.placed', idempotencyKey: 'order-7', payload: { n: 7 } })));
      const seqs = new Set(results.map((r) => r.seq));
      expect(seqs.size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const again = await spine.publish({ type: 'order.placed', idempotencyKey: 'order-7', payload: { other: true } });
      expect(again).toMatchObject({ seq: results[0]!.seq, id: results[0]!.id, duplicate: true });
      expect(await spine.head()).toBe(2);
    });

    it('verify passes on an intact chain and names the first row edited behind its back', async () => {
      const { spine, url } = await fresh();
      for (let i = 0; i < 20; i++) await spine.publish({ type: 'ledger.entry', payload: { i } });
      expect(await spine.verify()).toMatchObject({ ok: true, checked: 20 });
      // A range in the middle starts from the stored hash of the row before it.
      expect(await spine.verify(5, 8)).toMatchObject({ ok: true, checked: 4, fromSeq: 5, toSeq: 8 });
      await storage.editRow(url, 13, { payload: '{"i":999}' });
      expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 13, reason: 'hash_mismatch' });
      expect(await spine.verify(1, 12)).toMatchObject({ ok: true, checked: 12 });
      await storage.editRow(url, 4, { type: 'ledger.forged' });
      expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 4 });
    });

    it('verify detects a deleted row, a swapped pair and a truncated tail', async () => {
      const { spine, url } = await fresh();
      for (let i = 0; i < 10; i++) await spine.publish({ type: 'ledger.entry', payload: { i } });
      await storage.deleteRow(url, 10);
      expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 10 });
      await storage.swapPayloads(url, 6, 7);
      expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 6 });
      await storage.deleteRow(url, 3);
      expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'seq_gap' });
    });

    it('opens an envelope on run.started and bumps its version with each context.patched, in the same commit', async () => {
      const { spine } = await fresh();
      await spine.publish({ type: 'run.started', runId: 'run-1', payload: { intent: 'Ship order 9', constraints: { carrier: 'dhl' }, deadline: '2030-01-01T00:00:00.000Z', state: { address: 'Old St 1' } } });
      const [done] = await spine.append([{ type: 'label.requested', runId: 'run-1' }]);
      const [patched] = await spine.append([{ type: 'context.patched', runId: 'run-1', payload: { patch: { address: 'New St 2', note: 'x' } } }]);
      await spine.append([{ type: 'context.patched', runId: 'run-1', payload: { patch: { note: null } } }]);
      const [after] = await spine.append([{ type: 'label.printed', runId: 'run-1' }]);
      const events = await spine.read({ after: 0, limit: 10 });
      expect(events.map((e) => e.envelopeVersion)).toEqual([1, 1, 2, 3, 3]);
      expect([done!.seq, patched!.seq, after!.seq]).toEqual([2, 3, 5]);
      const env = await spine.envelope('run-1');
      expect(env).toMatchObject({ runId: 'run-1', intent: 'Ship order 9', constraints: { carrier: 'dhl' }, deadline: '2030-01-01T00:00:00.000Z', state: { address: 'New St 2' }, version: 3 });
      expect(env.history.entries.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(env.history.omitted).toBe(0);
      await expect(spine.envelope('nope')).rejects.toMatchObject({ code: 'envelope.not_found', httpStatus: 404 });
    });

    it('a patch with a stale expectedVersion is refused with 409 and appends nothing, while its batch neighbours commit', async () => {
      const { spine } = await fresh();
      await spine.publish({ type: 'run.started', runId: 'r', payload: { state: { n: 0 } } });
      const results = await Promise.allSettled([
        spine.publish({ type: 'side.one' }),
        spine.append([{ type: 'note.added', runId: 'r' }, { type: 'context.patched', runId: 'r', payload: { patch: { n: 1 }, expectedVersion: 7 } }]),
        spine.publish({ type: 'side.two' }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'envelope.version_conflict', httpStatus: 409 });
      const events = await spine.read({ after: 0, limit: 10 });
      expect(events.map((e) => e.type)).toEqual(['run.started', 'side.one', 'side.two']);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await spine.envelope('r')).version).toBe(1);
      expect(await spine.verify()).toMatchObject({ ok: true });
      await expect(spine.publish({ type: 'run.started', runId: 'r' })).rejects.toMatchObject({ code: 'envelope.already_open' });
    });

    it('keeps session history bounded: the newest 20 entries, older ones counted as omitted', async () => {
      const { spine } = await fresh();
      await spine.publish({ type: 'run.started', runId: 'h' });
      await spine.append(Array.from({ length: 29 }, (_, i) => ({ type: 'step.done', runId: 'h', payload: { i } })));
      const env = await spine.envelope('h');
      expect(env.history.entries).toHaveLength(20);
      expect(env.history.entries[0]!.seq).toBe(11);
      expect(env.history.entries[19]!.seq).toBe(30);
      expect(env.history.omitted).toBe(10);
    });

    it('a subscription yields history then live events with no gap or duplicate at the seam', async () => {
      const { spine } = await fresh();
      await spine.append(Array.from({ length: 5 }, (_, i) => ({ type: 'seam.before', payload: { i } })));
      const sub = spine.subscribe({ fromSeq: 1 });
      const collecting = take(sub, 15);
      for (let i = 0; i < 10; i++) await spine.publish({ type: 'seam.after', payload: { i } });
      const got = await collecting;
      expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    });

    it('a filtered subscription yields only matching events, in order, and live-only by default', async () => {
      const { spine } = await fresh();
      await spine.publish({ type: 'case.opened', key: 'old' });
      const live = spine.subscribe({ types: ['case.*'], key: 'c1' });
      const collecting = take(live, 3);
      await new Promise((r) => setTimeout(r, 20));
      await spine.append([
        { type: 'case.opened', key: 'c1' },
        { type: 'case.opened', key: 'c2' },
        { type: 'booking.made', key: 'c1' },
        { type: 'case.closed', key: 'c1' },
      ]);
      await spine.publish({ type: 'case.reopened', key: 'c1' });
      expect((await collecting).map((e) => [e.seq, e.type])).toEqual([
        [2, 'case.opened'],
        [5, 'case.closed'],
        [6, 'case.reopened'],
      ]);
    });

    it('an aborted subscription ends while it waits', async () => {
      const { spine } = await fresh();
      const ac = new AbortController();
      const sub = spine.subscribe({ signal: ac.signal });
      const next = sub.next();
      setTimeout(() => ac.abort(), 20);
      expect(await next).toMatchObject({ done: true });
    });

    it('a subscription aborted before it starts waiting still ends', async () => {
      const { spine } = await fresh();
      const ac = new AbortController();
      const sub = spine.subscribe({ signal: ac.signal });
      ac.abort();
      expect(await sub.next()).toMatchObject({ done: true });
    });

    it('a durable consumer resumes after its committed offset when the spine is reopened', async () => {
      const first = await fresh();
      await first.spine.append(Array.from({ length: 6 }, (_, i) => ({ type: i % 2 ? 'mail.sent' : 'other.thing', payload: { i } })));
      const c1 = await first.spine.consumer('mailer', { types: ['mail.*'], fromSeq: 1 });
      const firstTwo = await take(c1.events, 2);
      expect(firstTwo.map((e) => e.seq)).toEqual([2, 4]);
      await c1.commit(4);
      await c1.events.return(undefined);
      await first.spine.close();
      const second = await fresh({ url: first.url });
      await second.spine.publish({ type: 'mail.sent', payload: { i: 6 } });
      const c2 = await second.spine.consumer('mailer', { types: ['mail.*'] });
      expect((await take(c2.events, 2)).map((e) => e.seq)).toEqual([6, 7]);
      await c2.events.return(undefined);
    });

    it('indexes runs in the same commit as their lifecycle events', async () => {
      const { spine } = await fresh();
      await spine.append([{ type: 'run.started', runId: 'ix-1', key: 'room:1', payload: { workflowId: 'wf', version: 2, startedBy: 'ann' } }]);
      await spine.publish({ type: 'run.started', runId: 'ix-2', payload: { workflowId: 'wf', version: 2 } });
      expect(await spine.getRun('ix-1')).toMatchObject({ id: 'ix-1', workflowId: 'wf', version: 2, key: 'room:1', status: 'running', startedBy: 'ann', startedSeq: 1 });
      await spine.publish({ type: 'approval.requested', runId: 'ix-1', payload: { nodeId: 'gate' } });
      expect(await spine.getRun('ix-1')).toMatchObject({ status: 'waiting', waitingOn: [{ kind: 'approval', id: 'gate' }] });
      await spine.publish({ type: 'approval.decided', runId: 'ix-1', payload: { nodeId: 'gate' } });
      await spine.publish({ type: 'run.completed', runId: 'ix-1', payload: { output: { ok: true } } });
      await spine.publish({ type: 'run.failed', runId: 'ix-1', payload: { reason: 'late' } });
      expect(await spine.getRun('ix-1')).toMatchObject({ status: 'completed', output: '{"ok":true}', error: null });
      expect((await spine.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(['ix-2', 'ix-1']);
      expect((await spine.listRuns({ statuses: ['running'], limit: 10 })).map((r) => r.id)).toEqual(['ix-2']);
      expect(await spine.getRun('nope')).toBeNull();
    });

    it('lists runs by workflow, key, status and a started-seq cursor, newest or oldest first', async () => {
      const { spine } = await fresh();
      const start = (runId: string, workflowId: string, key?: string) => ({ type: 'run.started', runId, key, payload: { workflowId, version: 1 } });
      await spine.append([start('r1', 'a', 'k1'), start('r2', 'b', 'k1'), start('r3', 'a', 'k2'), start('r4', 'a')]);
      await spine.publish({ type: 'run.completed', runId: 'r3', payload: { output: null } });
      const ids = async (q: Parameters<Spine['listRuns']>[0]) => (await spine.listRuns(q)).map((r) => r.id);
      expect(await ids({ workflowId: 'a', limit: 10 })).toEqual(['r4', 'r3', 'r1']);
      expect(await ids({ key: 'k1', limit: 10 })).toEqual(['r2', 'r1']);
      expect(await ids({ beforeSeq: 3, limit: 10 })).toEqual(['r2', 'r1']);
      expect(await ids({ order: 'asc', limit: 2 })).toEqual(['r1', 'r2']);
      expect(await ids({ workflowId: 'a', statuses: ['running'], order: 'asc', limit: 10 })).toEqual(['r1', 'r4']);
      expect(await ids({ statuses: ['completed', 'failed'], limit: 10 })).toEqual(['r3']);
    });

    describe('large payloads by reference (claim-check)', () => {
      const MiB = 1024 * 1024;
      const UNIT = 'Zusammenfassung — ü ';
      /** A payload of about `bytes` bytes, unique per call, with multi-byte text and nesting. */
      const large = (bytes: number, extra: Record<string, Json> = {}): { [k: string]: Json } => ({
        nodeId: 'summarize',
        attempt: 2,
        ok: true,
        note: null,
        marker: randomBytes(8).toString('hex'),
        nested: { z: [1, 2.5, -3e-7, 'é€😀'], a: { deep: 'x"\\n' } },
        doc: UNIT.repeat(Math.ceil(bytes / Buffer.byteLength(UNIT))),
        ...extra,
      });
      const { storedPayload, blobCount, tamperBlob } = storage;
      const refAt = async (url: string, seq: number): Promise<BlobRef> => blobRefOf(await storedPayload(url, seq))!;

      it('a 5 MiB payload appends, reads back byte-identical everywhere, its row stays under 1 KiB and verify passes', async () => {
        const { spine, url } = await fresh();
        const payload = large(5 * MiB);
        const text = canonicalJson(payload);
        expect(Buffer.byteLength(text)).toBeGreaterThan(5 * MiB);
        const live = take(spine.subscribe(), 2);
        await new Promise((r) => setTimeout(r, 20));
        await spine.publish({ type: 'small.before', payload: { n: 1 } });
        const [big] = await spine.append([{ type: 'task.completed', runId: 'r-big', payload }]);
        expect(big!.seq).toBe(2);

        const stored = await storedPayload(url, 2);
        expect(Buffer.byteLength(stored)).toBeLessThan(1024);
        expect(blobRefOf(stored)).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: Buffer.byteLength(text) });
        // The stub keeps the short top-level scalars, so SQL over payload still finds them.
        expect(JSON.parse(stored)).toMatchObject({ nodeId: 'summarize', attempt: 2, ok: true, note: null });
        expect(JSON.parse(stored)).not.toHaveProperty('doc');

        const viaRead = (await spine.read({ after: 1, limit: 10 }))[0]!;
        const viaGet = await spine.getEvent(2);
        const viaLive = (await live)[1]!;
        const viaHistory = (await take(spine.subscribe({ fromSeq: 2 }), 1))[0]!;
        for (const e of [viaRead, viaGet, viaLive, viaHistory]) {
          expect(e.seq).toBe(2);
          expect(canonicalJson(e.payload)).toBe(text);
        }
        expect(viaRead.hash).toBe(viaLive.hash);
        expect(await spine.verify()).toMatchObject({ ok: true, checked: 2 });
      }, 60_000);

      it('a blob altered or removed behind Spine’s back is caught by verify at its event’s seq, and reading it fails loudly', async () => {
        const { spine, url } = await fresh({ inlinePayloadBytes: 4096 });
        await spine.publish({ type: 'ledger.entry', payload: { i: 1 } });
        await spine.publish({ type: 'doc.attached', payload: large(20_000) });
        await spine.publish({ type: 'ledger.entry', payload: { i: 2 } });
        await spine.publish({ type: 'doc.attached', payload: large(30_000) });
        expect(await spine.verify()).toMatchObject({ ok: true, checked: 4 });
        const ref4 = await refAt(url, 4);
        await tamperBlob(spine, url, ref4.sha256, 'edit');
        expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash_mismatch', blob: { sha256: ref4.sha256, problem: 'mismatch' } });
        expect(await spine.verify(1, 3)).toMatchObject({ ok: true, checked: 3 });
        await expect(spine.getEvent(4)).rejects.toMatchObject({ code: 'event.blob_unreadable', details: { seq: 4, problem: 'mismatch' } });
        const ref2 = await refAt(url, 2);
        await tamperBlob(spine, url, ref2.sha256, 'delete');
        expect(await spine.verify()).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'hash_mismatch', blob: { sha256: ref2.sha256, problem: 'missing' } });
        await expect(spine.read({ after: 0, limit: 10 })).rejects.toMatchObject({ code: 'event.blob_unreadable', details: { seq: 2, problem: 'missing' } });
        expect((await spine.read({ after: 0, limit: 1 }))[0]!.payload).toEqual({ i: 1 });
      });

      it('a payload over the maximum is refused with 413 and stores neither an event nor a blob', async () => {
        const { spine, url } = await fresh({ maxPayloadBytes: MiB, inlinePayloadBytes: 4096 });
        await expect(spine.publish({ type: 'doc.attached', payload: large(MiB + 10) })).rejects.toMatchObject({ code: 'event.payload_too_large', httpStatus: 413, details: { limit: MiB } });
        await expect(spine.append([{ type: 'doc.small', payload: large(10_000) }, { type: 'doc.attached', payload: large(2 * MiB) }])).rejects.toMatchObject({ code: 'event.payload_too_large', details: { index: 1 } });
        expect(await spine.head()).toBe(0);
        expect(await blobCount(spine, url)).toBe(0);
        await spine.publish({ type: 'doc.attached', payload: large(MiB - 1000) });
        expect(await blobCount(spine, url)).toBe(1);
      });

      it('the same payload twice is stored as one blob, referenced by both events', async () => {
        const { spine, url } = await fresh({ inlinePayloadBytes: 4096 });
        const payload = large(50_000);
        await spine.append([{ type: 'doc.attached', payload }, { type: 'doc.attached', payload }]);
        await spine.publish({ type: 'doc.attached', payload });
        expect(await blobCount(spine, url)).toBe(1);
        expect(new Set([await storedPayload(url, 1), await storedPayload(url, 2), await storedPayload(url, 3)]).size).toBe(1);
        expect((await spine.read({ after: 0, limit: 5 })).map((e) => e.payload)).toEqual([payload, payload, payload]);
        expect(await spine.verify()).toMatchObject({ ok: true, checked: 3 });
      });

      it('a refused submission in a batch fails whole while its neighbours commit with their blobs', async () => {
        const { spine, url } = await fresh({ inlinePayloadBytes: 4096 });
        await spine.publish({ type: 'run.started', runId: 'rb', payload: { state: { n: 0 } } });
        const kept = large(10_000);
        const results = await Promise.allSettled([
          spine.publish({ type: 'doc.attached', payload: kept }),
          spine.append([{ type: 'doc.attached', runId: 'rb', payload: large(10_000) }, { type: 'context.patched', runId: 'rb', payload: { patch: { n: 1 }, expectedVersion: 9 } }]),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
        expect((await spine.getEvent(2)).payload).toEqual(kept);
        // Both blobs were stored before the sequencer refused one submission: unreferenced, and harmless.
        expect(await blobCount(spine, url)).toBe(2);
        expect(await spine.head()).toBe(2);
        expect(await spine.verify()).toMatchObject({ ok: true, checked: 2 });
      });

      it('two spines on one database appending the same blobs at once, in opposite orders, store each once', async () => {
        const first = await fresh({ inlinePayloadBytes: 4096 });
        const second = await fresh({ url: first.url, inlinePayloadBytes: 4096 });
        const [x, y] = [large(40_000), large(40_000)];
        const appends = Array.from({ length: 12 }, (_, i) => (i % 2 ? first : second).spine.append(i % 3 ? [{ type: 'doc.pair', payload: x }, { type: 'doc.pair', payload: y }] : [{ type: 'doc.pair', payload: y }, { type: 'doc.pair', payload: x }]));
        expect((await Promise.all(appends)).flat()).toHaveLength(24);
        expect(await blobCount(first.spine, first.url)).toBe(2);
        expect(await first.spine.verify()).toMatchObject({ ok: true, checked: 24 });
        expect(new Set((await second.spine.read({ after: 0, limit: 30 })).map((e) => canonicalJson(e.payload))).size).toBe(2);
      });

      it('refuses a payload that uses the reserved top-level key $blob, whatever its size', async () => {
        const { spine } = await fresh();
        await expect(spine.publish({ type: 'x.forged', payload: { $blob: { sha256: 'a'.repeat(64), bytes: 1 } } })).rejects.toMatchObject({ code: 'event.invalid', httpStatus: 400 });
        await expect(spine.publish({ type: 'x.forged', payload: { $blob: 1, pad: 'x'.repeat(100_000) } })).rejects.toMatchObject({ code: 'event.invalid' });
        await spine.publish({ type: 'x.fine', payload: { nested: { $blob: 1 }, list: [{ $blob: 2 }] } });
        expect((await spine.getEvent(1)).payload).toEqual({ nested: { $blob: 1 }, list: [{ $blob: 2 }] });
      });

      it('payloads of any JSON shape round-trip through a blob: arrays, strings, objects with awkward keys', async () => {
        const { spine } = await fresh({ inlinePayloadBytes: 1024 });
        const values: Json[] = [Array.from({ length: 500 }, (_, i) => ({ i })), 'y'.repeat(5000), { '!first': 1, 'with space': 'v', z: 'x'.repeat(3000) }];
        for (const payload of values) await spine.publish({ type: 'shape.test', payload });
        expect((await spine.read({ after: 0, limit: 5 })).map((e) => e.payload)).toEqual(values);
        expect(await spine.verify()).toMatchObject({ ok: true, checked: 3 });
      });
    });

    it('numbering continues without a gap after the spine is reopened', async () => {
      const first = await fresh();
      await first.spine.append([{ type: 'a.b' }, { type: 'a.c' }]);
      await first.spine.close();
      const second = await fresh({ url: first.url });
      expect((await second.spine.publish({ type: 'a.d' })).seq).toBe(3);
      expect(await second.spine.verify()).toMatchObject({ ok: true, checked: 3 });
    });

    /** About the database itself, not the log's behaviour: only the logs on one run these. */
    describe.runIf(raw)('on a database', () => {
      it('the database refuses UPDATE and DELETE on events', async () => {
        const { spine, url } = await fresh();
        await spine.publish({ type: 'x.one' });
        await expect(raw!(url, `UPDATE events SET payload = '{"evil":1}' WHERE seq = 1`)).rejects.toThrow(/immutable/);
        await expect(raw!(url, 'DELETE FROM events WHERE seq = 1')).rejects.toThrow(/immutable/);
        expect((await spine.read({ after: 0, limit: 5 }))[0]!.payload).toEqual({});
      });

      it('the query port reads the log\'s own database and refuses any statement that writes', async () => {
        const { spine } = await fresh();
        await spine.publish({ type: 'x.one', payload: { n: 7, who: 'Ann' } });
        const q = logQueries(spine.log);
        expect(await q.get(`SELECT ${q.jsonNumber('payload', 'n')} AS n, ${q.jsonText('payload', 'who')} AS who FROM events WHERE seq = ?`, [1])).toEqual({ n: 7, who: 'Ann' });
        expect(await q.all(`SELECT seq FROM events WHERE ${q.regexp('type')}`, ['^x\\.']), 'regexp').toHaveLength(1);
        await expect(q.all("UPDATE consumers SET filter = '{}'")).rejects.toThrow(/SELECT/);
        await expect(q.all('SELECT 1; DELETE FROM consumers')).rejects.toThrow(/SELECT/);
        await expect(q.all('WITH gone AS (DELETE FROM consumers RETURNING name) SELECT count(*) AS n FROM gone')).rejects.toThrow();
        expect(await spine.head()).toBe(1);
      });

      it('the run index stores what a run waits on as JSON, and still reads the "<kind> <id>" strings of older databases', async () => {
        const { spine, url } = await fresh();
        await spine.append([{ type: 'run.started', runId: 'ix-w', key: 'room:1', payload: { workflowId: 'wf', version: 1 } }]);
        await spine.publish({ type: 'approval.requested', runId: 'ix-w', payload: { nodeId: 'gate' } });
        expect((await raw!(url, "SELECT waiting_on FROM runs WHERE id = 'ix-w'"))[0]!.waiting_on).toBe('[{"kind":"approval","id":"gate"}]');
        await raw!(url, "UPDATE runs SET waiting_on = 'key room:1' WHERE id = 'ix-w'");
        expect(await spine.getRun('ix-w')).toMatchObject({ waitingOn: [{ kind: 'key', id: 'room:1' }] });
        await spine.publish({ type: 'approval.decided', runId: 'ix-w', payload: { nodeId: 'gate' } });
        expect((await raw!(url, "SELECT waiting_on FROM runs WHERE id = 'ix-w'"))[0]!.waiting_on).toBeNull();
      });
    });
  });
}

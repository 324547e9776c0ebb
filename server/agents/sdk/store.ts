/**
 * The lease table (`agent_leases`): the truth about every task offered to an sdk agent, shared by every
 * Spine process on one database. Each change is one conditional statement (`updateMany` with the state it
 * expects in its `where`), so two processes racing for the same row cannot both win: one claim, one result
 * per lease token, one expiry.
 */
import { openSqliteDatabase, type Db } from '@/server/db';
import type { Json } from '@/server/spine';

export const LEASE_STATUSES = ['offered', 'leased', 'completed', 'failed', 'expired', 'cancelled'] as const;
export type LeaseStatus = (typeof LEASE_STATUSES)[number];
/** The states after which nothing changes a row any more. */
export const CLOSED: readonly LeaseStatus[] = ['completed', 'failed', 'expired', 'cancelled'];

/** What the holder posted: a result, or an error that says whether another attempt may help. */
export type LeaseOutcome = { ok: true; output: Json } | { ok: false; message: string; retryable: boolean; retryAfterMs?: number };

export type LeaseRow = {
  key: string;
  dispatchSeq: number;
  agent: string;
  runId: string;
  nodeId: string;
  attempt: number;
  status: LeaseStatus;
  holder: string | null;
  token: string | null;
  leaseMs: number;
  expiresAt: Date | null;
  /** The task as the agent receives it. */
  task: Json;
  outcome: LeaseOutcome | null;
};

type DbRow = {
  key: string; dispatchSeq: bigint; agent: string; runId: string; nodeId: string; attempt: number; status: string; holder: string | null;
  token: string | null; leaseMs: number; expiresAt: Date | null; task: string; outcome: string | null;
};

const toRow = (r: DbRow): LeaseRow => ({
  ...r,
  dispatchSeq: Number(r.dispatchSeq),
  status: r.status as LeaseStatus,
  task: JSON.parse(r.task) as Json,
  outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as LeaseOutcome),
});

export type NewLease = Pick<LeaseRow, 'key' | 'dispatchSeq' | 'agent' | 'runId' | 'nodeId' | 'attempt' | 'leaseMs' | 'task'>;

type LeaseState = Pick<LeaseRow, 'key' | 'status' | 'holder' | 'expiresAt' | 'outcome'>;

/** The lease table's operations; `createLeaseStore` (Prisma, both databases) and `createSqliteLeaseStore`. */
export type LeaseStore = {
  get(key: string): Promise<LeaseRow | null>;
  bySeq(dispatchSeq: number): Promise<LeaseRow | null>;
  /** Offers a task; an existing row for the key (a re-invoke of the same attempt) is left as it is. */
  offer(l: NewLease): Promise<LeaseRow>;
  /** offered → leased, for one holder of `agent`. False when the task is not on offer to it. */
  claim(dispatchSeq: number, agent: string, holder: string, token: string, expiresAt: Date): Promise<boolean>;
  /** Extends a live lease. False when the token is stale or the lease has expired. */
  heartbeat(dispatchSeq: number, agent: string, token: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** leased → completed/failed with what the holder posted, only on a live lease with this token. */
  close(dispatchSeq: number, agent: string, token: string, now: Date, outcome: LeaseOutcome): Promise<boolean>;
  /** leased → expired once its time has passed (no heartbeat). */
  expire(key: string, now: Date): Promise<boolean>;
  /** offered/leased → cancelled (the run ended, the attempt timed out). */
  cancel(key: string): Promise<boolean>;
  /** The state of many rows in one read (the board's poll of the tasks waiting in this process). */
  states(keys: string[]): Promise<LeaseState[]>;
  /** The oldest task still on offer to this agent (where a stream without a cursor starts). */
  oldestOffered(agent: string): Promise<number | null>;
  /** Releases what the store opened (the raw connection of the SQLite store). */
  dispose(): void;
};

export function createLeaseStore(db: Db): LeaseStore {
  return {
    dispose() {},
    async get(key: string): Promise<LeaseRow | null> {
      const r = await db.agentLease.findUnique({ where: { key } });
      return r ? toRow(r) : null;
    },
    async bySeq(dispatchSeq: number): Promise<LeaseRow | null> {
      const r = await db.agentLease.findUnique({ where: { dispatchSeq: BigInt(dispatchSeq) } });
      return r ? toRow(r) : null;
    },
    /** Offers a task; an existing row for the key (a re-invoke of the same attempt) is left as it is. */
    async offer(l: NewLease): Promise<LeaseRow> {
      try {
        await db.agentLease.create({ data: { ...l, dispatchSeq: BigInt(l.dispatchSeq), status: 'offered', task: JSON.stringify(l.task) } });
        return { ...l, status: 'offered', holder: null, token: null, expiresAt: null, outcome: null };
      } catch (e) {
        if ((e as { code?: string }).code !== 'P2002') throw e;
        return (await this.get(l.key))!;
      }
    },
    /** offered → leased, for one holder of `agent`. False when the task is not on offer to it. */
    async claim(dispatchSeq: number, agent: string, holder: string, token: string, expiresAt: Date): Promise<boolean> {
      const { count } = await db.agentLease.updateMany({ where: { dispatchSeq: BigInt(dispatchSeq), agent, status: 'offered' }, data: { status: 'leased', holder, token, expiresAt } });
      return count === 1;
    },
    /** Extends a live lease. False when the token is stale or the lease has expired. */
    async heartbeat(dispatchSeq: number, agent: string, token: string, now: Date, expiresAt: Date): Promise<boolean> {
      const { count } = await db.agentLease.updateMany({ where: { dispatchSeq: BigInt(dispatchSeq), agent, token, status: 'leased', expiresAt: { gte: now } }, data: { expiresAt } });
      return count === 1;
    },
    /** leased → completed/failed with what the holder posted, only on a live lease with this token. */
    async close(dispatchSeq: number, agent: string, token: string, now: Date, outcome: LeaseOutcome): Promise<boolean> {
      const { count } = await db.agentLease.updateMany({
        where: { dispatchSeq: BigInt(dispatchSeq), agent, token, status: 'leased', expiresAt: { gte: now } },
        data: { status: outcome.ok ? 'completed' : 'failed', outcome: JSON.stringify(outcome) },
      });
      return count === 1;
    },
    /** leased → expired once its time has passed (no heartbeat). */
    async expire(key: string, now: Date): Promise<boolean> {
      const { count } = await db.agentLease.updateMany({ where: { key, status: 'leased', expiresAt: { lt: now } }, data: { status: 'expired' } });
      return count === 1;
    },
    /** offered/leased → cancelled (the run ended, the attempt timed out). */
    async cancel(key: string): Promise<boolean> {
      const { count } = await db.agentLease.updateMany({ where: { key, status: { in: ['offered', 'leased'] } }, data: { status: 'cancelled' } });
      return count === 1;
    },
    /** The state of many rows in one read (the board's poll of the tasks waiting in this process). */
    async states(keys: string[]): Promise<Pick<LeaseRow, 'key' | 'status' | 'holder' | 'expiresAt' | 'outcome'>[]> {
      const rows = await db.agentLease.findMany({ where: { key: { in: keys } }, select: { key: true, status: true, holder: true, expiresAt: true, outcome: true } });
      return rows.map((r) => ({ ...r, status: r.status as LeaseStatus, outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as LeaseOutcome) }));
    },
    /** The oldest task still on offer to this agent (where a stream without a cursor starts). */
    async oldestOffered(agent: string): Promise<number | null> {
      const r = await db.agentLease.findFirst({ where: { agent, status: 'offered' }, orderBy: { dispatchSeq: 'asc' }, select: { dispatchSeq: true } });
      return r ? Number(r.dispatchSeq) : null;
    },
  };
}

type SqliteRow = {
  key: string; dispatch_seq: number; agent: string; run_id: string; node_id: string; attempt: number; status: string; holder: string | null;
  token: string | null; lease_ms: number; expires_at: number | null; task: string; outcome: string | null;
};
const fromSqlite = (r: SqliteRow): LeaseRow => ({
  key: r.key, dispatchSeq: r.dispatch_seq, agent: r.agent, runId: r.run_id, nodeId: r.node_id, attempt: r.attempt, status: r.status as LeaseStatus,
  holder: r.holder, token: r.token, leaseMs: r.lease_ms, expiresAt: r.expires_at === null ? null : new Date(r.expires_at), task: JSON.parse(r.task) as Json,
  outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as LeaseOutcome),
});

/**
 * The same table on SQLite through the raw driver: one prepared statement per operation (Prisma costs about
 * 1 ms a statement here, and a task takes three). Its own connection with synchronous=NORMAL: the lease
 * table coordinates, the log (FULL) records; after a power loss a lease can only fall back to an earlier
 * state, which can make an agent run a task again (at least once, as always), never record it twice.
 * Times are epoch milliseconds; on SQLite only this store touches the table.
 */
export function createSqliteLeaseStore(file: string): LeaseStore {
  const db = openSqliteDatabase(file, 'NORMAL');
  const cols = 'key, dispatch_seq, agent, run_id, node_id, attempt, status, holder, token, lease_ms, expires_at, task, outcome';
  const q = {
    get: db.prepare(`SELECT ${cols} FROM agent_leases WHERE key = ?`),
    bySeq: db.prepare(`SELECT ${cols} FROM agent_leases WHERE dispatch_seq = ?`),
    offer: db.prepare(`INSERT INTO agent_leases (key, dispatch_seq, agent, run_id, node_id, attempt, status, lease_ms, task, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'offered', ?, ?, ?) ON CONFLICT DO NOTHING`),
    claim: db.prepare(`UPDATE agent_leases SET status = 'leased', holder = ?, token = ?, expires_at = ?, updated_at = ? WHERE dispatch_seq = ? AND agent = ? AND status = 'offered'`),
    heartbeat: db.prepare(`UPDATE agent_leases SET expires_at = ?, updated_at = ? WHERE dispatch_seq = ? AND agent = ? AND token = ? AND status = 'leased' AND expires_at >= ?`),
    close: db.prepare(`UPDATE agent_leases SET status = ?, outcome = ?, updated_at = ? WHERE dispatch_seq = ? AND agent = ? AND token = ? AND status = 'leased' AND expires_at >= ?`),
    expire: db.prepare(`UPDATE agent_leases SET status = 'expired', updated_at = ? WHERE key = ? AND status = 'leased' AND expires_at < ?`),
    cancel: db.prepare(`UPDATE agent_leases SET status = 'cancelled', updated_at = ? WHERE key = ? AND status IN ('offered', 'leased')`),
    states: db.prepare(`SELECT key, status, holder, expires_at, outcome FROM agent_leases WHERE key IN (SELECT value FROM json_each(?))`),
    oldest: db.prepare(`SELECT dispatch_seq FROM agent_leases WHERE agent = ? AND status = 'offered' ORDER BY dispatch_seq LIMIT 1`),
  };
  const one = (r: unknown) => (r ? fromSqlite(r as SqliteRow) : null);
  return {
    get: async (key) => one(q.get.get(key)),
    bySeq: async (seq) => one(q.bySeq.get(seq)),
    async offer(l) {
      const { changes } = q.offer.run(l.key, l.dispatchSeq, l.agent, l.runId, l.nodeId, l.attempt, l.leaseMs, JSON.stringify(l.task), Date.now());
      if (changes === 1) return { ...l, status: 'offered', holder: null, token: null, expiresAt: null, outcome: null };
      return one(q.get.get(l.key))!;
    },
    claim: async (seq, agent, holder, token, expiresAt) => q.claim.run(holder, token, expiresAt.getTime(), Date.now(), seq, agent).changes === 1,
    heartbeat: async (seq, agent, token, now, expiresAt) => q.heartbeat.run(expiresAt.getTime(), Date.now(), seq, agent, token, now.getTime()).changes === 1,
    close: async (seq, agent, token, now, o) => q.close.run(o.ok ? 'completed' : 'failed', JSON.stringify(o), Date.now(), seq, agent, token, now.getTime()).changes === 1,
    expire: async (key, now) => q.expire.run(Date.now(), key, now.getTime()).changes === 1,
    cancel: async (key) => q.cancel.run(Date.now(), key).changes === 1,
    async states(keys) {
      return (q.states.all(JSON.stringify(keys)) as Pick<SqliteRow, 'key' | 'status' | 'holder' | 'expires_at' | 'outcome'>[]).map((r) => ({
        key: r.key, status: r.status as LeaseStatus, holder: r.holder, expiresAt: r.expires_at === null ? null : new Date(r.expires_at), outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as LeaseOutcome),
      }));
    },
    oldestOffered: async (agent) => (q.oldest.get(agent) as { dispatch_seq: number } | undefined)?.dispatch_seq ?? null,
    dispose: () => db.close(),
  };
}

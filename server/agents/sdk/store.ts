/**
 * The lease table (`agent_leases`): the truth about every task offered to an sdk agent, shared by every
 * Spine process on one database. Each change is one conditional statement (`updateMany` with the state it
 * expects in its `where`), so two processes racing for the same row cannot both win: one claim, one result
 * per lease token, one expiry.
 */
import type { Db } from '@/server/db';
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

export function createLeaseStore(db: Db) {
  return {
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
export type LeaseStore = ReturnType<typeof createLeaseStore>;

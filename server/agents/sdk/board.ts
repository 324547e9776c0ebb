/**
 * The task board: both sides of an sdk agent's task, over the lease table (store.ts).
 *
 * - The engine side (`await`, called by SdkAdapter.invoke in the process that runs the engine) offers the
 *   task and waits for its outcome: woken at once when the outcome is posted to this process, otherwise by
 *   one read every `pollMs` of all the rows waiting here (a result posted to another Spine process on the
 *   same database, a lease whose time has passed, which it records as `expired` and turns into a retryable
 *   failure of the attempt).
 * - The agent side (`claim`, `heartbeat`, `complete`, `fail`, called by the agent API in any process) moves
 *   the row with conditional updates; a stale token or a lapsed lease is refused (409), so a task completes
 *   exactly once whatever a crashed or slow holder posts later.
 *
 * A task's id on the agent API is the seq of its `task.dispatched` event: the agent stream pushes it from
 * the log, which wakes every process on commit, while the row is written by `await` just after that
 * commit; a claim that arrives first waits a moment for the row.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '@/server/errors';
import type { Json } from '@/server/spine';
import { NonRetryableAgentError, RetryAfterError } from '../errors';
import { CLOSED, type LeaseOutcome, type LeaseRow, type LeaseStore, type NewLease } from './store';

/** How long a claim waits for the row of a task it saw dispatched. */
const OFFER_WAIT_MS = 2_000;

export type ClaimedTask = { token: string; leaseMs: number; expiresAt: string; task: Json };

export class LeaseExpiredError extends Error {
  constructor(holder: string | null) {
    super(`the lease of ${holder ?? 'its holder'} expired (no heartbeat): the attempt failed`);
    this.name = 'LeaseExpiredError';
  }
}

/** An engine-side wait in this process: what a claim or result arriving here can use without a read. */
type LocalTask = { lease: NewLease; offered: Promise<void>; row?: LeaseRow; wake?: (outcome: LeaseOutcome) => void; poke?: () => void };

export class TaskBoard {
  /** Engine-side waits of this process by dispatch seq. */
  private readonly local = new Map<number, LocalTask>();
  /** Claims waiting for a row by dispatch seq (the task's wait is in another process, or not yet begun). */
  private readonly offers = new Map<number, Set<() => void>>();
  private readonly pollMs: number;
  private readonly now: () => number;
  /** Engine-side waits in progress, so `stop` can wait for their last statement. */
  private readonly waiting = new Set<Promise<unknown>>();
  private stopped = false;
  /** When each agent's processes were last heard from here (a claim, a heartbeat, a result, an open stream). */
  private readonly seen = new Map<string, number>();
  /** Task streams open in this process, by agent. */
  private readonly streams = new Map<string, number>();
  private poller?: ReturnType<typeof setInterval>;
  private polling = false;

  constructor(readonly store: LeaseStore, opts: { pollMs?: number; now?: () => number } = {}) {
    this.pollMs = opts.pollMs ?? 200;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Offers a task and resolves with its output, or throws as its holder (or the lease's expiry) says. An
   * abort cancels the row (the holder is told on its stream), except when the engine stops: then the row
   * stays as it is, and the engine that recovers the run waits on the same lease again.
   */
  await(lease: NewLease, signal: AbortSignal): Promise<Json> {
    const p = this.wait(lease, signal);
    this.waiting.add(p);
    const forget = () => void this.waiting.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** The engine stops: waits end without writing, and this resolves when their last statement is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.poller = undefined;
    for (const t of this.local.values()) t.poke?.();
    await Promise.allSettled([...this.waiting]);
    this.store.dispose();
  }

  private async wait(lease: NewLease, signal: AbortSignal): Promise<Json> {
    if (this.stopped) throw new Error('engine stopping');
    let markOffered!: () => void;
    const local: LocalTask = { lease, offered: new Promise<void>((r) => (markOffered = r)) };
    this.local.set(lease.dispatchSeq, local);
    let posted: LeaseOutcome | undefined;
    local.wake = (o) => {
      posted = o;
      local.poke?.();
    };
    const onAbort = () => local.poke?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      local.row = await this.store.offer(lease);
      markOffered();
      for (const wake of this.offers.get(lease.dispatchSeq) ?? []) wake();
      this.startPolling();
      for (;;) {
        if (signal.aborted || this.stopped) {
          if (!this.stopped) await this.store.cancel(lease.key);
          throw signal.reason ?? new Error('engine stopping');
        }
        const row: LeaseRow = local.row!;
        const done = posted ? outcomeOf({ ...row, status: posted.ok ? 'completed' : 'failed', outcome: posted }) : outcomeOf(row);
        if (done) return done();
        if (row.status === 'leased' && row.expiresAt && row.expiresAt.getTime() < this.now()) {
          await this.store.expire(lease.key, new Date(this.now()));
          local.row = (await this.store.get(lease.key)) ?? row;
          continue;
        }
        // Woken by a result posted here, an abort, or the poll (a change made by another process, an expiry).
        await new Promise<void>((resolve) => {
          local.poke = () => {
            local.poke = undefined;
            resolve();
          };
          if (posted || signal.aborted || this.stopped) local.poke();
        });
      }
    } finally {
      markOffered();
      signal.removeEventListener('abort', onAbort);
      if (this.local.get(lease.dispatchSeq) === local) this.local.delete(lease.dispatchSeq);
    }
  }

  /**
   * One read every `pollMs` for all the tasks waiting in this process (not one per task): it sees what
   * another process wrote (a claim, a result) and leases whose time has passed.
   */
  private startPolling() {
    if (this.poller) return;
    this.poller = setInterval(() => {
      if (this.polling) return;
      if (this.local.size === 0 || this.stopped) {
        clearInterval(this.poller);
        this.poller = undefined;
        return;
      }
      this.polling = true;
      void this.poll().finally(() => (this.polling = false));
    }, this.pollMs);
  }

  private async poll() {
    const waiting = [...this.local.values()].filter((t) => t.row);
    for (let i = 0; i < waiting.length; i += 500) {
      const chunk = waiting.slice(i, i + 500);
      const states = new Map((await this.store.states(chunk.map((t) => t.lease.key)).catch(() => [])).map((r) => [r.key, r]));
      const now = this.now();
      for (const t of chunk) {
        const st = states.get(t.lease.key);
        if (!st || !t.row) continue;
        const changed = st.status !== t.row.status || st.expiresAt?.getTime() !== t.row.expiresAt?.getTime();
        t.row = { ...t.row, ...st };
        if (changed || (st.status === 'leased' && st.expiresAt && st.expiresAt.getTime() < now)) t.poke?.();
      }
    }
  }

  /**
   * An agent process opened its task stream here: it counts as heard from while the stream is open (its
   * health's heartbeat). Returns the close.
   */
  connected(agent: string): () => void {
    this.streams.set(agent, (this.streams.get(agent) ?? 0) + 1);
    this.heard(agent);
    return () => {
      this.streams.set(agent, (this.streams.get(agent) ?? 1) - 1);
      this.heard(agent);
    };
  }

  /** The last time `agent`'s processes were heard from in this process (now while a stream is open), or null. */
  lastHeartbeat(agent: string): Date | null {
    if ((this.streams.get(agent) ?? 0) > 0) return new Date(this.now());
    const t = this.seen.get(agent);
    return t === undefined ? null : new Date(t);
  }

  private heard(agent: string) {
    this.seen.set(agent, this.now());
  }

  /** Takes the lease of task `id` (its dispatch seq) for `holder`, an agent key of `agent`. */
  async claim(id: number, agent: string, holder: string): Promise<ClaimedTask> {
    this.heard(agent);
    const token = randomBytes(16).toString('base64url');
    const local = this.local.get(id);
    // Fast path: the task waits in this process, so its row and task are known without a read.
    if (local && local.lease.agent === agent) {
      await local.offered;
      const expiresAt = new Date(this.now() + local.lease.leaseMs);
      if (await this.store.claim(id, agent, holder, token, expiresAt)) {
        if (local.row) local.row = { ...local.row, status: 'leased', holder, token, expiresAt };
        return { token, leaseMs: local.lease.leaseMs, expiresAt: expiresAt.toISOString(), task: local.lease.task };
      }
    }
    const row = await this.rowFor(id, agent, OFFER_WAIT_MS);
    if (row.status !== 'offered') throw new ConflictError('agent_task.taken', `Task ${id} is ${row.status === 'leased' ? `leased by ${row.holder ?? 'another process'}` : row.status}`, { id, status: row.status });
    const expiresAt = new Date(this.now() + row.leaseMs);
    if (!(await this.store.claim(id, agent, holder, token, expiresAt))) throw new ConflictError('agent_task.taken', `Task ${id} was claimed by another process`, { id });
    return { token, leaseMs: row.leaseMs, expiresAt: expiresAt.toISOString(), task: row.task };
  }

  async heartbeat(id: number, agent: string, token: string): Promise<{ expiresAt: string }> {
    this.heard(agent);
    const leaseMs = this.local.get(id)?.lease.leaseMs ?? (await this.rowFor(id, agent, 0)).leaseMs;
    const at = this.now();
    if (!(await this.store.heartbeat(id, agent, token, new Date(at), new Date(at + leaseMs)))) throw lost(id, await this.rowFor(id, agent, 0));
    const local = this.local.get(id);
    if (local?.row) local.row = { ...local.row, expiresAt: new Date(at + leaseMs) };
    return { expiresAt: new Date(at + leaseMs).toISOString() };
  }

  /** Posts the holder's result (or error); refused (409) without the live lease. */
  async close(id: number, agent: string, token: string, outcome: LeaseOutcome): Promise<void> {
    this.heard(agent);
    if (!(await this.store.close(id, agent, token, new Date(this.now()), outcome))) throw lost(id, await this.rowFor(id, agent, 0));
    this.local.get(id)?.wake?.(outcome);
  }

  private async rowFor(id: number, agent: string, waitMs: number): Promise<LeaseRow> {
    let row = await this.store.bySeq(id);
    const until = this.now() + waitMs;
    while (!row && this.now() < until) {
      await this.offered(id, Math.min(20, until - this.now()));
      row = await this.store.bySeq(id);
    }
    if (!row) throw new NotFoundError('agent_task.not_found', `No task ${id} on offer`, { id });
    if (row.agent !== agent) throw new ForbiddenError('agent_task.forbidden', `Task ${id} is not a task of agent '${agent}'`, { id, agent });
    return row;
  }

  private offered(id: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.offers.get(id) ?? new Set();
      this.offers.set(id, set);
      const done = () => {
        clearTimeout(t);
        set.delete(done);
        if (set.size === 0) this.offers.delete(id);
        resolve();
      };
      const t = setTimeout(done, ms);
      set.add(done);
    });
  }
}

function lost(id: number, row: LeaseRow): ConflictError {
  return new ConflictError('agent_task.lease_lost', `The lease on task ${id} is not held with this token (the task is ${row.status})`, { id, status: row.status });
}

/** What a closed row means for the attempt, as a thunk that returns or throws; undefined while it is open. */
function outcomeOf(row: LeaseRow): (() => Json) | undefined {
  if (!CLOSED.includes(row.status)) return undefined;
  const o = row.outcome;
  if (row.status === 'completed' && o?.ok) return () => o.output;
  if (row.status === 'failed' && o && !o.ok) {
    return () => {
      if (!o.retryable) throw new NonRetryableAgentError(o.message);
      if (o.retryAfterMs !== undefined) throw new RetryAfterError(o.message, o.retryAfterMs);
      throw new Error(o.message);
    };
  }
  if (row.status === 'expired') return () => { throw new LeaseExpiredError(row.holder); };
  return () => { throw new Error(`task ${row.dispatchSeq} was ${row.status}`); };
}

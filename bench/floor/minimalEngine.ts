/**
 * The floor engine (issue 15): the legal-case workflow (trigger → fan-out to 5 agents → join all →
 * summarizer → router → end) as the smallest durable engine we could write, so Spine's engine figures can
 * be printed as a ratio to it. It is a yardstick, not a product: no recovery, no fold, no validation.
 *
 * What it keeps, because Spine pays for it too:
 * - one append-only SQLite table (better-sqlite3, WAL, the same `synchronous` as Spine's bench), with an
 *   index by run (what a fold of one run reads) and a UUIDv7 (time-ordered) id per event;
 * - group commit: every append issued in the same tick goes into one transaction; callers resolve after
 *   the commit, so with synchronous=FULL an acknowledged event has been fsynced;
 * - durability of each step: a task is recorded as dispatched before its agent is called, and its result
 *   is committed before the run moves on (16 events per run, the 2 KiB input in run.started and in each
 *   specialist's dispatch, as Spine writes it).
 * What it leaves out: Spine's sha256 hash chain (a few µs per event; left out so the floor is the
 * engine and the disk, not our integrity feature), envelopes, idempotency keys, subscribers.
 */
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';

/** `id`: chosen by the caller (a UUIDv7 too), or by the log at commit. */
export type FloorEvent = { id?: string; type: string; runId: string | null; payload: unknown };
type Pending = { events: FloorEvent[]; resolve: (seq: number) => void; reject: (e: unknown) => void };

/** The log: `append` resolves with the seq of its last event once the transaction holding it has committed. */
export class GroupCommitLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly commit: Database.Transaction<(batch: Pending[], timeMs: number) => void>;
  private pending: Pending[] = [];
  private head: number;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL' = 'FULL') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
      run_id TEXT, time_ms INTEGER NOT NULL, payload TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);`);
    this.head = (this.db.prepare('SELECT coalesce(max(seq), 0) AS head FROM events').get() as { head: number }).head;
    this.insert = this.db.prepare('INSERT INTO events (seq, id, type, run_id, time_ms, payload) VALUES (?, ?, ?, ?, ?, ?)');
    this.commit = this.db.transaction((batch: Pending[], timeMs: number) => {
      for (const p of batch) for (const e of p.events) this.insert.run(++this.head, e.id ?? uuidv7(), e.type, e.runId, timeMs, JSON.stringify(e.payload));
    });
  }

  append(events: FloorEvent[]): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ events, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush() {
    const batch = this.pending;
    this.pending = [];
    const before = this.head;
    try {
      this.commit.immediate(batch, Date.now());
    } catch (e) {
      this.head = before;
      for (const p of batch) p.reject(e);
      return;
    }
    let seq = before;
    for (const p of batch) p.resolve((seq += p.events.length));
  }

  close() {
    this.db.close();
  }
}

export type Agent = (input: unknown) => Promise<Record<string, unknown>>;
export const SPECIALISTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'] as const;

/** In-process agents doing `workMs` of (simulated) work; 0 resolves on the next microtask. */
export function floorAgents(workMs: number): Record<string, Agent> {
  const work = () => (workMs > 0 ? new Promise<void>((r) => setTimeout(r, workMs)) : Promise.resolve());
  const agent = (answer: (input: unknown) => Record<string, unknown>): Agent => async (input) => (await work(), answer(input));
  const size = (input: unknown) => JSON.stringify(input).length;
  return {
    'case-law': agent((i) => ({ citations: 2 + (size(i) % 5), relevance: 0.42 })),
    'financial-impact': agent((i) => ({ exposureEur: 10_000 + size(i) * 7 })),
    'regulatory-risk': agent(() => ({ level: 'low' })),
    precedent: agent((i) => ({ precedents: size(i) % 4, strongest: 'Case 4711' })),
    sentiment: agent(() => ({ sentiment: 'neutral', appropriate: true })),
    summarizer: agent((i) => ({ risk: JSON.stringify(i).includes('"level":"high"') ? 'high' : 'low', summary: 'Summary of 5 analyses.', sources: Object.keys(i as object) })),
  };
}

export class MinimalEngine {
  constructor(private readonly log: GroupCommitLog, private readonly agents: Record<string, Agent>) {}

  /** Starts a run: resolves once run.started and the fan-out's dispatches are committed; `ended` follows. */
  async start(input: unknown): Promise<{ runId: string; ended: Promise<void> }> {
    const runId = uuidv7();
    const dispatch = (agent: string, input: unknown) => ({ type: 'task.dispatched', runId, payload: { agent, attempt: 1, input } });
    await this.log.append([{ type: 'run.started', runId, payload: { workflow: 'legal-case', input } }, ...SPECIALISTS.map((a) => dispatch(a, input))]);
    return { runId, ended: this.drive(runId, input, dispatch) };
  }

  /** Fan-out → join all → summarizer → router → end, each step committed before the next. */
  private async drive(runId: string, input: unknown, dispatch: (agent: string, input: unknown) => FloorEvent) {
    const completed = (agent: string, output: unknown) => ({ type: 'task.completed', runId, payload: { agent, attempt: 1, output } });
    const results = await Promise.all(
      SPECIALISTS.map(async (a) => {
        const output = await this.agents[a]!(input);
        await this.log.append([completed(a, output)]);
        return [a, output] as const;
      }),
    );
    const analyses = Object.fromEntries(results);
    await this.log.append([{ type: 'join.satisfied', runId, payload: { node: 'all-analyses' } }, dispatch('summarizer', analyses)]);
    const summary = await this.agents.summarizer!(analyses);
    const route = summary.risk === 'high' ? 'high' : 'default';
    await this.log.append([completed('summarizer', summary), { type: 'route.chosen', runId, payload: { node: 'risk', route } }, { type: 'run.completed', runId, payload: { outcome: 'success', summary } }]);
  }
}

/** The case file every benchmark run starts with: ~2 KiB of plain text (no word the builtins react to). */
export function caseDocument(i: number): { facts: string; document: string } {
  const sentence = 'The parties signed a supply contract in March; the buyer disputes late delivery of two shipments under clause seven and asks for a partial refund. ';
  let document = `Case file ${i}. `;
  while (document.length < 2048) document += sentence;
  return { facts: `routine contract dispute ${i}`, document: document.slice(0, 2048) };
}

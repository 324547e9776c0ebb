/**
 * The event spine's public entry. Callers import from `@/server/spine`, never from its internals.
 *
 * `openSpine` migrates the database (SQLite file or PostgreSQL), opens the matching log and returns the
 * spine: append, read, subscribe (push), durable consumers, envelopes and chain verification.
 */
import { migratePostgres, migrateSqlite, isPostgresUrl } from '@/server/db/migrate';
import { sqlitePathFromUrl } from '@/server/db/sqlite';
import { NotFoundError } from '@/server/errors';
import type { AppendInput, EventFilter, EventInput, SpineEvent } from './events';
import type { Envelope } from './envelope';
import type { EventLog, LogDialect, ReadQuery } from './log/eventLog';
import type { VerifyResult } from './log/hashChain';
import type { AppendResult } from './log/sequencer';
import { PostgresEventLog } from './log/postgresEventLog';
import { SqliteEventLog } from './log/sqliteEventLog';
import { openConsumer, subscribe, type Consumer, type SubscribeOptions } from './subscriptions';
import type { RunIndexRow, RunStatus, WaitingOn } from './runIndex';
import type { RunQuery } from './log/rows';

export type { SpineEvent, EventInput, AppendInput, EventFilter, Envelope, AppendResult, VerifyResult, SubscribeOptions, Consumer, EventLog, LogDialect, RunIndexRow, RunStatus, WaitingOn, RunQuery };
export { RUN_STATUSES, TERMINAL_STATUSES } from './runIndex';
export type { Json, SourceKind } from './events';
export { EventType, TypePattern, SOURCE_KINDS, matchesType, matchesFilter, ENGINE_SOURCE, isEngineSource } from './events';
export { newEventId } from './log/sequencer';
export { publishAs, sourceOf, reservedNamespaceOf, RESERVED_EVENT_NAMESPACES, type Principal } from './publishing';
export { toCloudEvent, fromCloudEvent, CLOUDEVENTS_CONTENT_TYPE } from './cloudEvents';
export { evolveEnvelope, HISTORY_LIMIT, type EnvelopeRecord } from './envelope';
/** The in-memory log (specs only, nothing durable): `spineOver(new MemoryEventLog())`. */
export { MemoryEventLog, MemoryLogStorage, type MemoryLogOptions } from './log/memoryEventLog';

/*
 * The read-only query port and what its readers need to decode rows and check the chain themselves
 * (observability's timeline and metrics, audit's exports and integrity checks): they import these from
 * here, never from ./log/*, and never reach for a log's driver.
 */
export { logQueries, num, numOrNull, type LogQueries, type Row } from './log/queries';
export { likePattern, type DialectName } from './log/dialect';
export { EVENT_COLUMNS, RUN_COLUMNS, rowToEvent, toStoredRow, runFromRow, type DbRow, type RunDbRow } from './log/rows';
export { GENESIS_HASH, canonicalJson, hashRow, type ChainedRow } from './log/hashChain';
export { typePatternToRegex } from './log/eventLog';
export { blobRefOf, blobMatches, type BlobRef } from './blobs';
export type { StoredRow } from './log/sequencer';

export type SpineOptions = {
  databaseUrl: string;
  /** Largest payload (canonical JSON bytes); over it: 413 `event.payload_too_large`. @default 67108864 (64 MiB) */
  maxPayloadBytes?: number;
  /**
   * Payloads over this are stored by reference (a content-addressed blob; the row keeps a small stub):
   * files in `<db dir>/blobs` on SQLite, the `blobs` table on PostgreSQL. @default 65536 (64 KiB)
   */
  inlinePayloadBytes?: number;
  /** SQLite only. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * SQLite only: batches commit inline on the log's connection, or on a writer thread beside the event loop
   * (log/sqliteWriter.ts: more throughput, more latency and memory). @default 'inline'
   */
  sqliteWriter?: 'thread' | 'inline';
  /** Apply pending migrations before opening. @default true */
  migrate?: boolean;
};

export type Spine = {
  readonly log: EventLog;
  readonly dialect: LogDialect;
  /**
   * Appends events atomically; resolves after commit with one result per input.
   * @example const [{ seq }] = await spine.append([{ type: 'case.opened', key: 'case:7', payload: { title } }]);
   */
  append(events: AppendInput[]): Promise<AppendResult[]>;
  /** Appends one event. @example const { seq, duplicate } = await spine.publish({ type: 'order.placed', payload }); */
  publish(event: AppendInput): Promise<AppendResult>;
  /** Events after a cursor, in seq order. @example await spine.read({ after: 0, limit: 100 }) */
  read(q: ReadQuery): Promise<SpineEvent[]>;
  head(): Promise<number>;
  getEvent(seq: number): Promise<SpineEvent>;
  /** Push subscription. @example for await (const e of spine.subscribe({ types: ['case.*'], fromSeq: 1 })) {} */
  subscribe(opts?: SubscribeOptions): AsyncGenerator<SpineEvent>;
  /** Durable named subscription. @example const c = await spine.consumer('mailer', { types: ['user.*'] }) */
  consumer(name: string, filter?: EventFilter & { fromSeq?: number; signal?: AbortSignal }): Promise<Consumer>;
  /** The run's latest envelope. @example const env = await spine.envelope('run-1'); env.version */
  envelope(runId: string): Promise<Envelope>;
  /** The run index row (status, workflow, key, outcome). @example const run = await spine.getRun(runId) */
  getRun(runId: string): Promise<RunIndexRow | null>;
  /** Runs, newest first by default. @example await spine.listRuns({ statuses: ['running'], limit: 50 }) */
  listRuns(q: RunQuery): Promise<RunIndexRow[]>;
  /**
   * Recomputes the hash chain and checks every blob it references (a missing or altered blob is a
   * `hash_mismatch` at its event's seq, with `blob` set). @example const { ok, firstBadSeq } = await spine.verify()
   */
  verify(fromSeq?: number, toSeq?: number): Promise<VerifyResult>;
  /** Commits pending appends and closes the database. */
  close(): Promise<void>;
};

export async function openSpine(opts: SpineOptions): Promise<Spine> {
  const { databaseUrl } = opts;
  let log: EventLog;
  if (isPostgresUrl(databaseUrl)) {
    if (opts.migrate !== false) await migratePostgres(databaseUrl);
    log = await PostgresEventLog.open(databaseUrl, { maxPayloadBytes: opts.maxPayloadBytes, inlinePayloadBytes: opts.inlinePayloadBytes });
  } else {
    const file = sqlitePathFromUrl(databaseUrl);
    if (opts.migrate !== false) migrateSqlite(file);
    log = new SqliteEventLog(file, { maxPayloadBytes: opts.maxPayloadBytes, inlinePayloadBytes: opts.inlinePayloadBytes, synchronous: opts.synchronous, writer: opts.sqliteWriter });
  }
  return spineOver(log);
}

export function spineOver(log: EventLog): Spine {
  return {
    log,
    dialect: log.dialect,
    append: (events) => log.append(events),
    publish: async (event) => (await log.append([event]))[0]!,
    read: (q) => log.read(q),
    head: () => log.head(),
    async getEvent(seq) {
      const e = await log.getEvent(seq);
      if (!e) throw new NotFoundError('event.not_found', `No event with seq ${seq}`, { seq });
      return e;
    },
    subscribe: (o) => subscribe(log, o),
    consumer: (name, filter) => openConsumer(log, name, filter),
    async envelope(runId) {
      const env = await log.getEnvelope(runId);
      if (!env) throw new NotFoundError('envelope.not_found', `No envelope for run '${runId}'`, { runId });
      return env;
    },
    getRun: (runId) => log.getRun(runId),
    listRuns: (q) => log.listRuns(q),
    verify: (from, to) => log.verify(from, to),
    close: () => log.close(),
  };
}

/**
 * Audit: tamper evidence beyond the hash chain. The public entry of server/audit.
 *
 * - an Ed25519 signing key in a file outside the database (signingKey.ts);
 * - checkpoints of the chain head signed as the log grows and on every export (checkpointer.ts), kept in
 *   a journal beside the key (journal.ts) and as `audit.checkpoint_signed` events on the log;
 * - "verify integrity": the chain plus every checkpoint against it (verifyLog.ts);
 * - exports of a run or a seq range as JSONL or CSV with a signed trailer (export.ts), which
 *   `npx spine-verify` checks offline.
 *
 * Configuration (read when the audit service opens; all optional):
 *   SPINE_AUDIT_KEY_FILE          PEM file of the private key. @default ./data/audit-signing-key.pem (created 0600)
 *   SPINE_AUDIT_JOURNAL_FILE      checkpoint journal. @default beside the key, one file per database
 *   SPINE_AUDIT_CHECKPOINT_EVENTS sign after this many events. @default 1000
 *   SPINE_AUDIT_CHECKPOINT_MS     or at the first commit this long after the last checkpoint. @default 300000
 *
 * @example
 * const audit = auditFor(spine);            // one per spine per process; starts the checkpointer
 * const result = await audit.verify(1, 500); // { ok, firstBadSeq, problems, ... }
 */
import { z } from 'zod';
import type { Spine } from '@/server/spine';
import { Checkpointer, type CheckpointerOptions, type CheckpointerStatus } from './checkpointer';
import type { SignedCheckpoint } from './checkpoint';
import { prepareExport, type ExportRequest, type PreparedExport } from './export';
import { checkEvent, type EventIntegrity } from './integrity';
import { defaultJournalFile, openJournal } from './journal';
import { loadSigningKey } from './signingKey';
import { verifyLog, type AuditVerification } from './verifyLog';

export { CHECKPOINT_EVENT_TYPE, type SignedCheckpoint } from './checkpoint';
export { EXPORT_FORMATS, type ExportFormat } from './exportFormat';
export type { AuditVerification, CheckpointRef } from './verifyLog';
export type { EventIntegrity, IntegrityProblem } from './integrity';
export type { CheckpointerStatus, PreparedExport, ExportRequest };

export const AuditEnv = z.object({
  SPINE_AUDIT_KEY_FILE: z.string().min(1).default('./data/audit-signing-key.pem'),
  SPINE_AUDIT_JOURNAL_FILE: z.string().min(1).optional(),
  SPINE_AUDIT_CHECKPOINT_EVENTS: z.coerce.number().int().min(1).default(1000),
  SPINE_AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(1000).default(300_000),
  DATABASE_URL: z.string().min(1).default('file:./data/spine.db'),
});

export type AuditOptions = { keyFile: string; journalFile: string } & CheckpointerOptions;

export type Audit = {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly journalFile: string;
  status(): CheckpointerStatus;
  checkpoints(): Promise<SignedCheckpoint[]>;
  /** Signs a checkpoint of the head now (if the chain since the last one verifies). */
  signNow(): Promise<SignedCheckpoint | null>;
  verify(fromSeq?: number, toSeq?: number): Promise<AuditVerification>;
  checkEvent(seq: number): Promise<EventIntegrity | null>;
  export(req: ExportRequest): Promise<PreparedExport>;
  stop(): void;
};

/**
 * Opens the audit service over a spine and starts signing checkpoints. It becomes the spine's audit
 * service for `auditFor` (unless one is open already), so handlers and routers use the same one.
 */
export function openAudit(spine: Spine, opts: AuditOptions): Audit {
  const key = loadSigningKey(opts.keyFile);
  const journal = openJournal(opts.journalFile);
  const checkpointer = new Checkpointer(spine, key, journal, opts).start();
  const audit: Audit = {
    keyId: key.keyId,
    publicKeyPem: key.publicKeyPem,
    journalFile: journal.file,
    status: () => checkpointer.status(),
    checkpoints: () => checkpointer.all(),
    signNow: () => checkpointer.signNow('manual'),
    verify: async (from, to) => verifyLog(spine, key, await checkpointer.all(), from, to),
    checkEvent: async (seq) => checkEvent(spine, key, await checkpointer.all(), seq),
    export: (req) => prepareExport({ spine, key, checkpointer }, req),
    stop: () => checkpointer.stop(),
  };
  const map = registry();
  if (!map.has(spine)) map.set(spine, audit);
  return audit;
}

/**
 * Options from the environment. The default journal is chosen by the database the spine really uses
 * (`spine`, when given) rather than by DATABASE_URL: a process serving another database (a test, a
 * tool) must not read or write the installation's journal.
 */
export function auditOptionsFromEnv(source: Record<string, string | undefined> = process.env, spine?: Spine): AuditOptions {
  const e = AuditEnv.parse(source);
  const databaseUrl = (spine && databaseUrlOf(spine)) ?? e.DATABASE_URL;
  return {
    keyFile: e.SPINE_AUDIT_KEY_FILE,
    journalFile: e.SPINE_AUDIT_JOURNAL_FILE ?? defaultJournalFile(e.SPINE_AUDIT_KEY_FILE, databaseUrl),
    everyEvents: e.SPINE_AUDIT_CHECKPOINT_EVENTS,
    everyMs: e.SPINE_AUDIT_CHECKPOINT_MS,
  };
}

const KEY = Symbol.for('spine.audit');
type Holder = { [KEY]?: WeakMap<Spine, Audit> };

/**
 * The process's audit service for `spine`, opened from the environment on first use. Kept on globalThis
 * (like the runtime) so route bundles and the server share one checkpointer per spine.
 */
export function auditFor(spine: Spine): Audit {
  return registry().get(spine) ?? openAudit(spine, auditOptionsFromEnv(process.env, spine));
}

/** The database a spine's log is open on, as a URL (`file:` + path for SQLite), or null if unknown. */
export function databaseUrlOf(spine: Spine): string | null {
  return spine.log.databaseUrl;
}

function registry(): WeakMap<Spine, Audit> {
  return ((globalThis as Holder)[KEY] ??= new WeakMap());
}

/**
 * Signs checkpoints of the chain head as the log grows: after every `everyEvents` events, or at the first
 * commit once `everyMs` has passed since the last checkpoint, whichever comes first. It is driven by the
 * log's commit wake-ups (nothing polls): an idle log gets no checkpoints because nothing changed.
 *
 * Before signing, the chain from the last checkpoint to the head is verified, and the last checkpoint's
 * row must still carry the hash that was signed; so every checkpoint vouches for a chain that links back
 * to the one before it. If the check fails, nothing is signed and `lastError` says why (the audit page
 * shows it): a signature never blesses a chain that is already broken.
 *
 * Each checkpoint is written to the journal (outside the database) first, then appended to the log as
 * an `audit.checkpoint_signed` event (idempotent per key and seq, so processes sharing a database do not
 * duplicate one).
 */
import { logQueries, type Spine } from '@/server/spine';
import { CHECKPOINT_EVENT_TYPE, mergeCheckpoints, parseCheckpoint, signCheckpoint, type CheckpointStatement, type SignedCheckpoint } from './checkpoint';
import type { Journal } from './journal';
import type { SigningKey } from './signingKey';

export type CheckpointerOptions = {
  /** Sign after this many new events. @default 1000 */
  everyEvents?: number;
  /** Sign at the first commit after this long since the last checkpoint. @default 300000 (5 min) */
  everyMs?: number;
  now?: () => number;
};

export type CheckpointerStatus = {
  last: SignedCheckpoint | null;
  lastError: { at: string; message: string; firstBadSeq?: number } | null;
  everyEvents: number;
  everyMs: number;
};

export class Checkpointer {
  private last: SignedCheckpoint | null = null;
  private lastError: CheckpointerStatus['lastError'] = null;
  private signing: Promise<SignedCheckpoint | null> | null = null;
  private pending = false;
  private loaded: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly everyEvents: number;
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(
    private readonly spine: Spine,
    private readonly key: SigningKey,
    private readonly journal: Journal,
    opts: CheckpointerOptions = {},
  ) {
    this.everyEvents = opts.everyEvents ?? 1000;
    this.everyMs = opts.everyMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Starts following commits. */
  start(): this {
    this.unsubscribe ??= this.spine.log.onCommit((head) => this.onCommit(head));
    void this.load().then(async () => this.onCommit(await this.spine.head())).catch(() => undefined);
    return this;
  }

  stop() {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  status(): CheckpointerStatus {
    return { last: this.last, lastError: this.lastError, everyEvents: this.everyEvents, everyMs: this.everyMs };
  }

  /** Every checkpoint known: the journal's and the log's, one per signature, by seq. */
  async all(): Promise<SignedCheckpoint[]> {
    const fromLog: SignedCheckpoint[] = [];
    for (let after = 0; ; ) {
      const page = await this.spine.read({ after, limit: 1000, filter: { types: [CHECKPOINT_EVENT_TYPE] } });
      for (const e of page) {
        const c = parseCheckpoint(e.payload);
        if (c) fromLog.push(c);
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.seq;
    }
    return mergeCheckpoints(this.journal.all(), fromLog);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const [latest] = await this.spine.read({ after: 0, limit: 1, descending: true, filter: { types: [CHECKPOINT_EVENT_TYPE] } });
      const fromLog = latest ? parseCheckpoint(latest.payload) : null;
      const mine = this.journal.all().filter((c) => c.keyId === this.key.keyId);
      const candidates = [...mine, ...(fromLog ? [fromLog] : [])].sort((a, b) => a.seq - b.seq);
      this.last = candidates[candidates.length - 1] ?? null;
    })();
    return this.loaded;
  }

  private onCommit(head: number) {
    if (!this.unsubscribe || (!this.last && !this.loaded)) return;
    if (this.signing) {
      this.pending = true;
      return;
    }
    const last = this.last;
    // The checkpoint's own event is one commit: it must not count towards the next one.
    const fresh = head - (last ? last.seq + 1 : 0);
    const due = fresh >= this.everyEvents || (fresh > 0 && (!last || this.now() - Date.parse(last.signedAt) >= this.everyMs));
    if (due) void this.signNow('interval').catch(() => undefined);
  }

  /**
   * Verifies the chain since the last checkpoint and signs the head. Returns null (and sets lastError)
   * when the chain does not verify, or when the head is already signed.
   */
  signNow(reason: CheckpointStatement['reason']): Promise<SignedCheckpoint | null> {
    if (this.signing) return this.signing.then(() => this.signNow(reason));
    this.signing = (async () => {
      try {
        await this.load();
        return await this.sign(reason);
      } finally {
        this.signing = null;
        if (this.pending) {
          this.pending = false;
          // After stop() the log may be closed: a late follow-up must not become an unhandled rejection.
          if (this.unsubscribe) void this.spine.head().then((h) => this.onCommit(h)).catch(() => undefined);
        }
      }
    })();
    return this.signing;
  }

  private async sign(reason: CheckpointStatement['reason']): Promise<SignedCheckpoint | null> {
    const head = await this.spine.head();
    if (head === 0) return null;
    const last = this.last;
    if (last && last.seq >= head) return last.seq === head ? last : null;
    const from = last ? last.seq : 1;
    const v = await this.spine.verify(from, head);
    const sql = logQueries(this.spine.log);
    const rows = await sql.all<{ seq: unknown; hash: string }>('SELECT seq, hash FROM events WHERE seq IN (?, ?)', [from, head]);
    const hashAt = (s: number) => rows.find((r) => Number(r.seq) === s)?.hash;
    if (!v.ok) {
      this.lastError = { at: new Date(this.now()).toISOString(), message: `chain does not verify at seq ${v.firstBadSeq} (${v.reason})`, firstBadSeq: v.firstBadSeq };
      return null;
    }
    if (last && hashAt(last.seq) !== last.hash) {
      this.lastError = { at: new Date(this.now()).toISOString(), message: `seq ${last.seq} no longer has the hash signed at ${last.signedAt}`, firstBadSeq: last.seq };
      return null;
    }
    const hash = hashAt(head);
    if (!hash) return null;
    const cp = signCheckpoint(this.key, { seq: head, hash }, reason, new Date(this.now()));
    this.journal.append(cp);
    this.last = cp;
    this.lastError = null;
    await this.spine.append([
      { type: CHECKPOINT_EVENT_TYPE, key: 'audit:checkpoints', source: { kind: 'system', name: 'audit' }, payload: cp, idempotencyKey: `audit.checkpoint:${cp.keyId}:${cp.seq}` },
    ]);
    return cp;
  }
}

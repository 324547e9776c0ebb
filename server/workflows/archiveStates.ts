/**
 * Whether a workflow is archived, as every run start asks (API v1, tRPC, A2A, MCP), without a database query
 * per start: the store's narrow read (two Prisma queries for a slug) was a third of a start's CPU over HTTP.
 *
 * While `watch` follows the log, an answer is kept until the workflow's next `workflow.archived`,
 * `workflow.restored` or `workflow.renamed` (the name is in the refusal's message): such an event drops it
 * when it commits in this process, synchronously in the commit (so a start after the archive call has
 * answered reads the database again), and when it reaches this process from another (the log subscription;
 * PostgreSQL's NOTIFY). A read that overlapped one of these events does not keep what it read. Without the
 * watch (before `watch`, after its signal aborts) every call reads the database.
 *
 * Across processes this is as immediate as the log's delivery (milliseconds); a start and an archive racing
 * were never ordered anyway (the start's read and the archive's write are not one transaction).
 */
import type { SpineEvent, Spine } from '@/server/spine';
import type { WorkflowStore } from './store';

export type ArchiveState = Awaited<ReturnType<WorkflowStore['archiveState']>>;

const CHANGES = ['workflow.archived', 'workflow.restored', 'workflow.renamed'] as const;
const isChange = (type: string) => (CHANGES as readonly string[]).includes(type);
/** Entries kept at most (by id and by slug); past it the cache starts again empty. */
const MAX_ENTRIES = 10_000;

export type ArchiveStates = {
  /** The workflow's id, slug, name and archived flag; NotFoundError as the store throws it. */
  get(idOrSlug: string): Promise<ArchiveState>;
  /** Follows the log and keeps answers meanwhile; resolves when `signal` aborts. */
  watch(signal: AbortSignal): Promise<void>;
};

export function createArchiveStates(store: Pick<WorkflowStore, 'archiveState'>, spine: Pick<Spine, 'log' | 'subscribe'>): ArchiveStates {
  /** By the id or slug it was asked for. */
  const cache = new Map<string, ArchiveState>();
  let watching = false;
  /** Counts changes seen: a read that overlapped one does not cache what it read before it. */
  let changes = 0;
  const drop = (e: Pick<SpineEvent, 'payload'>) => {
    changes++;
    const id = (e.payload as { workflowId?: unknown } | null)?.workflowId;
    for (const [k, s] of cache) if (s.id === id) cache.delete(k);
  };

  return {
    async get(idOrSlug) {
      const kept = watching ? cache.get(idOrSlug) : undefined;
      if (kept) return kept;
      const seen = changes;
      const state = await store.archiveState(idOrSlug);
      if (watching && seen === changes) {
        if (cache.size >= MAX_ENTRIES) cache.clear();
        cache.set(idOrSlug, state);
      }
      return state;
    },

    async watch(signal) {
      if (signal.aborted) return;
      const off = spine.log.onCommit((_head, events) => {
        for (const e of events ?? []) if (isChange(e.type)) drop(e);
      });
      const events = spine.subscribe({ types: [...CHANGES], signal });
      cache.clear();
      watching = true;
      try {
        for await (const e of events) drop(e);
      } catch (err) {
        if (!signal.aborted) throw err;
      } finally {
        watching = false;
        cache.clear();
        off();
      }
    },
  };
}

/**
 * The workflow library: what the `/workflows` list needs beyond the draft/version store (store.ts), namely
 * rename, duplicate, archive and restore, and an overview that joins every workflow with its runs (the
 * last run and its status, runs started in the last 24 hours) and says whether its draft differs from the
 * published version.
 *
 * Guarantees: renaming, archiving and restoring never touch the draft or its revision, so an editor open
 * in another tab keeps saving without a conflict; duplicating copies the current draft into a new,
 * unpublished workflow (versions and runs stay with the original).
 */
import type { Db } from '@/server/db/client';
import { NotFoundError } from '@/server/errors';
import type { RunStatus, Spine } from '@/server/spine';
import { WorkflowDocument } from './schema';
import type { WorkflowDetail, WorkflowStore, WorkflowSummary } from './store';

/** `unpublished`: never published; `changed`: the draft differs from the published version; `published`: they match. */
export type DraftStatus = 'unpublished' | 'changed' | 'published';

export type WorkflowOverview = WorkflowSummary & {
  draftStatus: DraftStatus;
  lastRun: { id: string; status: RunStatus; version: number; startedAt: string } | null;
  /** Runs started in the 24 hours before the overview was read, counted up to `RUNS_COUNTED`. */
  runsLast24h: number;
  /** True when there were at least `RUNS_COUNTED` runs: show "500+". */
  runsLast24hCapped: boolean;
};

/** How many of a workflow's newest runs the overview reads to count the last 24 hours. */
export const RUNS_COUNTED = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

/** JSON with object keys sorted, so two documents compare equal whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function createWorkflowLibrary(deps: { db: Db; workflows: WorkflowStore; spine: Spine; now?: () => number }) {
  const { db, workflows, spine } = deps;
  const now = deps.now ?? Date.now;

  async function idOf(idOrSlug: string): Promise<string> {
    const w =
      (await db.workflow.findUnique({ where: { id: idOrSlug }, select: { id: true } })) ??
      (await db.workflow.findUnique({ where: { slug: idOrSlug }, select: { id: true } }));
    if (!w) throw new NotFoundError('workflow.not_found', `No workflow '${idOrSlug}'`, { workflowId: idOrSlug });
    return w.id;
  }

  async function draftStatusOf(w: WorkflowSummary): Promise<DraftStatus> {
    if (w.publishedVersion === null) return 'unpublished';
    const [draft, published] = await Promise.all([workflows.get(w.id), workflows.getVersion(w.id, w.publishedVersion)]);
    return canonicalJson(draft.draft) === canonicalJson(published.document) ? 'published' : 'changed';
  }

  return {
    /** Every workflow (archived ones too when asked) with its draft status and recent runs, by name. */
    async overview(opts: { includeArchived?: boolean } = {}): Promise<WorkflowOverview[]> {
      const since = now() - DAY_MS;
      const all = await workflows.list({ includeArchived: opts.includeArchived });
      return Promise.all(
        all.map(async (w): Promise<WorkflowOverview> => {
          const [draftStatus, runs] = await Promise.all([draftStatusOf(w), spine.listRuns({ workflowId: w.id, limit: RUNS_COUNTED })]);
          const last = runs[0];
          const recent = runs.filter((r) => r.startedAtMs >= since).length;
          return {
            ...w,
            draftStatus,
            lastRun: last ? { id: last.id, status: last.status, version: last.version, startedAt: new Date(last.startedAtMs).toISOString() } : null,
            runsLast24h: recent,
            runsLast24hCapped: runs.length === RUNS_COUNTED && recent === RUNS_COUNTED,
          };
        }),
      );
    },

    /** Renames a workflow (its slug, draft and versions stay as they are). */
    async rename(idOrSlug: string, input: { name: string; description?: string }): Promise<WorkflowSummary> {
      const id = await idOf(idOrSlug);
      await db.workflow.update({ where: { id }, data: { name: input.name, ...(input.description !== undefined && { description: input.description }) } });
      return summaryOf(await workflows.get(id));
    },

    /** A new unpublished workflow whose draft is a copy of this one's current draft. */
    async duplicate(idOrSlug: string, opts: { name?: string } = {}): Promise<WorkflowDetail> {
      const source = await workflows.get(idOrSlug);
      return workflows.create({ name: opts.name ?? `${source.name} (copy)`.slice(0, 200), description: source.description, document: WorkflowDocument.parse(source.draft) });
    },

    /**
     * Archives a workflow (hidden from the list, no longer started by events) or restores it, and records
     * `workflow.archived` / `workflow.restored`: the audit trail shows who did it, and every Spine process's
     * engine re-reads its triggers when the event reaches it.
     */
    async setArchived(idOrSlug: string, archived: boolean, by = 'system'): Promise<WorkflowSummary> {
      const id = await idOf(idOrSlug);
      const before = await workflows.get(id);
      if (before.archived === archived) return summaryOf(before);
      await db.workflow.update({ where: { id }, data: { archived } });
      await spine.publish({ type: archived ? 'workflow.archived' : 'workflow.restored', key: `workflow:${id}`, source: { kind: 'user', name: by }, payload: { workflowId: id, slug: before.slug } });
      return summaryOf(await workflows.get(id));
    },
  };
}
export type WorkflowLibrary = ReturnType<typeof createWorkflowLibrary>;

function summaryOf(d: WorkflowDetail): WorkflowSummary {
  const { draft: _draft, ...summary } = d;
  return summary;
}

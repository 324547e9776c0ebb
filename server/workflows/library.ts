/**
 * The workflow library: what the `/workflows` list and the designer need beyond the draft/version store
 * (store.ts), namely create, rename, duplicate, draft saves, archive and restore, each recorded on the spine
 * with the person who did it, and an overview that joins every workflow with its runs (the last run and its
 * status, runs started in the last 24 hours) and says whether its draft differs from the published version.
 *
 * Guarantees: renaming, archiving and restoring never touch the draft or its revision, so an editor open
 * in another tab keeps saving without a conflict; duplicating copies the current draft into a new,
 * unpublished workflow (versions and runs stay with the original).
 *
 * Who did what, from the log alone: every change appends an event with key `workflow:<id>` and source
 * the caller (`{kind:'user', name}` for a person, `apiKey` for a key: `ChangedBy`) right after its database write and before the call answers (an append that fails
 * fails the call); idempotency keys derived from the change make a repeated append a no-op.
 * `workflow.created` (`from`: blank, template, import or duplicate), `workflow.duplicated` (on the
 * original's key), `workflow.renamed` (old and new name), `workflow.draft_saved`, `workflow.archived` /
 * `workflow.restored`, `workflow.a2a_exposed` / `workflow.a2a_withdrawn` (served as an A2A agent or not);
 * `workflow.published` is the engine's (publishWorkflow).
 *
 * Draft saves come every few seconds while someone edits, so they are coalesced per editing burst: the
 * consecutive saves of one workflow by one person, each within DRAFT_BURST_MS of the previous one, make one
 * `workflow.draft_saved` with the number of saves, the revisions, and what changed (nodes and edges added,
 * removed, changed) between the draft before the burst and after it. The burst is recorded when it ends:
 * when someone else saves, when the same person saves again after the pause, before any other change to the
 * workflow is recorded (publish, rename, duplicate, archive), or DRAFT_BURST_MS after its last save. The
 * open burst lives in this process; a process that dies within a burst leaves those saves unattributed (the
 * drafts themselves are in the database, and the next burst's diff still covers what they changed).
 */
import { createHash } from 'node:crypto';
import type { Db } from '@/server/db';
import { NotFoundError, ValidationError } from '@/server/errors';
import { sourceOf, type EventInput, type Json, type Principal, type RunStatus, type Spine } from '@/server/spine';
import { WorkflowDocument } from './schema';
import { DEMO_TEMPLATES } from './templates';
import type { WorkflowCreate, WorkflowDetail, WorkflowStore, WorkflowSummary } from './store';

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

/** Saves of one workflow by one person less than this apart are one editing burst (one event). @default 60 s */
export const DRAFT_BURST_MS = 60_000;

/** Where a workflow came from, as `workflow.created` records it. */
export type WorkflowOrigin =
  | { kind: 'blank' }
  | { kind: 'template'; template: string }
  | { kind: 'import' }
  | { kind: 'duplicate'; workflowId: string; slug: string };

/** Added, removed and changed, by id. */
export type ChangeCount = { added: number; removed: number; changed: number };
export type DraftDiff = { nodes: ChangeCount; edges: ChangeCount };

/**
 * What changed from one document to the next, counted: nodes by id (changed: anything but the position),
 * edges by id (changed: other ends, handle or label).
 * @example diffSize(before, after) // { nodes: { added: 1, removed: 0, changed: 2 }, edges: { added: 1, removed: 0, changed: 0 } }
 */
export function diffSize(before: WorkflowDocument, after: WorkflowDocument): DraftDiff {
  const count = <T extends { id: string }>(a: readonly T[], b: readonly T[], key: (x: T) => string): ChangeCount => {
    const old = new Map(a.map((x) => [x.id, key(x)]));
    const now = new Map(b.map((x) => [x.id, key(x)]));
    let added = 0;
    let changed = 0;
    for (const [id, k] of now) {
      const o = old.get(id);
      if (o === undefined) added++;
      else if (o !== k) changed++;
    }
    return { added, removed: [...old.keys()].filter((id) => !now.has(id)).length, changed };
  };
  return {
    nodes: count(before.nodes, after.nodes, ({ position: _p, ...n }) => canonicalJson(n)),
    edges: count(before.edges, after.edges, (e) => canonicalJson(e)),
  };
}

type Burst = {
  workflowId: string;
  slug: string;
  actor: string;
  /** Who saved, as the log records it. */
  by: ChangedBy;
  /** The revision the first save edited, and the last save's new revision. */
  fromRevision: number;
  revision: number;
  saves: number;
  /** The draft before the burst and after its last save. */
  base: WorkflowDocument;
  last: WorkflowDocument;
  firstAt: number;
  lastAt: number;
  timer?: ReturnType<typeof setTimeout>;
};

/**
 * Open bursts and per-workflow queues, per spine (one spine per database: a test's harness has its own).
 * Module state because the library is made per request; it only holds what has not been recorded yet.
 */
const openBursts = new WeakMap<Spine, { bursts: Map<string, Burst>; queues: Map<string, Promise<unknown>> }>();
function burstsOf(spine: Spine) {
  let b = openBursts.get(spine);
  if (!b) openBursts.set(spine, (b = { bursts: new Map(), queues: new Map() }));
  return b;
}

/**
 * Who makes a change: the authenticated principal (a key is recorded as `apiKey`), or a bare name for a
 * person (the designer's callers pass the signed-in person's name).
 */
export type ChangedBy = string | Principal;
const user = (by: ChangedBy) => sourceOf(typeof by === 'string' ? { kind: 'user', name: by } : by);
const nameOf = (by: ChangedBy) => (typeof by === 'string' ? by : by.name);
const keyOf = (workflowId: string) => `workflow:${workflowId}`;

function originOf(input: { template?: string; document?: unknown }): WorkflowOrigin {
  if (input.template !== undefined) return { kind: 'template', template: input.template };
  if (input.document !== undefined) return { kind: 'import' };
  return { kind: 'blank' };
}

function createdEvent(w: WorkflowDetail, from: WorkflowOrigin, by: ChangedBy): EventInput {
  return {
    type: 'workflow.created', key: keyOf(w.id), source: user(by), idempotencyKey: `workflow:${w.id}:created`,
    payload: { workflowId: w.id, slug: w.slug, name: w.name, from, nodes: w.draft.nodes.length, edges: w.draft.edges.length } as Json,
  };
}

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

  const { bursts, queues } = burstsOf(spine);

  async function create(input: WorkflowCreate, opts: { by: ChangedBy; template?: string }): Promise<WorkflowDetail> {
    const w = await workflows.create(input);
    await spine.publish(createdEvent(w, originOf({ template: opts.template, document: opts.template === undefined ? input.document : undefined }), opts.by));
    return w;
  }

  /** Runs `fn` after every earlier change to the same workflow in this process (bursts stay consistent). */
  function serial<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
    const prev = queues.get(workflowId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    queues.set(workflowId, tail);
    void tail.then(() => {
      if (queues.get(workflowId) === tail) queues.delete(workflowId);
    });
    return run;
  }

  /** Records the workflow's open burst, if any (the caller holds the workflow's queue). */
  async function recordBurst(workflowId: string): Promise<void> {
    const b = bursts.get(workflowId);
    if (!b) return;
    if (b.timer) clearTimeout(b.timer);
    await spine.publish({
      type: 'workflow.draft_saved', key: keyOf(workflowId), source: user(b.by), idempotencyKey: `workflow:${workflowId}:draft:${b.fromRevision}-${b.revision}`,
      payload: {
        workflowId, slug: b.slug, saves: b.saves, fromRevision: b.fromRevision, revision: b.revision,
        firstSavedAt: new Date(b.firstAt).toISOString(), lastSavedAt: new Date(b.lastAt).toISOString(), diff: diffSize(b.base, b.last),
      } as Json,
    });
    // Only once it is on record: a failed append leaves the burst open, to be recorded by the next change.
    if (bursts.get(workflowId) === b) bursts.delete(workflowId);
  }

  function armTimer(b: Burst) {
    if (b.timer) clearTimeout(b.timer);
    b.timer = setTimeout(() => {
      void serial(b.workflowId, () => (bursts.get(b.workflowId) === b ? recordBurst(b.workflowId) : Promise.resolve())).catch((e: unknown) =>
        console.error(`workflow ${b.workflowId}: could not record its draft saves yet (the next change will): ${e instanceof Error ? e.message : String(e)}`),
      );
    }, DRAFT_BURST_MS);
    b.timer.unref?.();
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

    /**
     * A new workflow (blank, from a template's document, or from an imported one), recorded as
     * `workflow.created` with where it came from.
     */
    create,

    /**
     * `create` for a caller that names a demo template by slug (API v1): its document and description,
     * unless the input gives its own. 400 `workflow.unknown_template` for a slug no template has.
     */
    async createFrom(input: WorkflowCreate & { template?: string }, by: ChangedBy): Promise<WorkflowDetail> {
      const { template, ...rest } = input;
      if (template === undefined) return create(rest, { by });
      const t = DEMO_TEMPLATES.find((x) => x.slug === template);
      if (!t) throw new ValidationError('workflow.unknown_template', `template: no template '${template}' (one of ${DEMO_TEMPLATES.map((x) => x.slug).join(', ')})`, { template });
      return create(
        { ...rest, description: rest.description ?? t.description, document: rest.document ?? t.document },
        { by, ...(rest.document === undefined && { template: t.slug }) },
      );
    },

    /** Renames a workflow (its slug, draft and versions stay as they are); records `workflow.renamed`. */
    async rename(idOrSlug: string, input: { name: string; description?: string }, by: ChangedBy = 'system'): Promise<WorkflowSummary> {
      const id = await idOf(idOrSlug);
      return serial(id, async () => {
        const before = await workflows.get(id);
        const described = input.description !== undefined && input.description !== before.description;
        if (before.name === input.name && !described) return summaryOf(before);
        await recordBurst(id);
        await db.workflow.update({ where: { id }, data: { name: input.name, ...(input.description !== undefined && { description: input.description }) } });
        const after = await workflows.get(id);
        await spine.publish({
          type: 'workflow.renamed', key: keyOf(id), source: user(by), idempotencyKey: `workflow:${id}:renamed:${createHash('sha256').update(`${after.updatedAt}\u0000${before.name}\u0000${after.name}\u0000${after.description}`).digest('hex').slice(0, 24)}`,
          payload: { workflowId: id, slug: after.slug, from: before.name, to: after.name, ...(described && { description: after.description }) } as Json,
        });
        return summaryOf(after);
      });
    },

    /**
     * A new unpublished workflow whose draft is a copy of this one's current draft: `workflow.duplicated`
     * on the original's key and `workflow.created` (from the duplicate) on the copy's, in one append.
     */
    async duplicate(idOrSlug: string, opts: { name?: string; by?: ChangedBy } = {}): Promise<WorkflowDetail> {
      const by = opts.by ?? 'system';
      const sourceId = await idOf(idOrSlug);
      return serial(sourceId, async () => {
        await recordBurst(sourceId);
        const source = await workflows.get(sourceId);
        const copy = await workflows.create({ name: opts.name ?? `${source.name} (copy)`.slice(0, 200), description: source.description, document: WorkflowDocument.parse(source.draft) });
        await spine.append([
          {
            type: 'workflow.duplicated', key: keyOf(source.id), source: user(by), idempotencyKey: `workflow:${source.id}:duplicated:${copy.id}`,
            payload: { workflowId: source.id, slug: source.slug, draftRevision: source.draftRevision, copy: { workflowId: copy.id, slug: copy.slug, name: copy.name } } as Json,
          },
          createdEvent(copy, { kind: 'duplicate', workflowId: source.id, slug: source.slug }, by),
        ]);
        return copy;
      });
    },

    /**
     * Saves the draft if `expectedRevision` is current (409 `workflow.draft_conflict` otherwise) and counts
     * the save into `by`'s editing burst; a save that starts a new burst first records the previous one.
     */
    async saveDraft(idOrSlug: string, document: WorkflowDocument, expectedRevision: number, by: ChangedBy = 'system'): Promise<{ draftRevision: number }> {
      const id = await idOf(idOrSlug);
      return serial(id, async () => {
        const before = await workflows.get(id);
        const t = now();
        const open = bursts.get(id);
        const continues = open !== undefined && open.actor === nameOf(by) && t - open.lastAt < DRAFT_BURST_MS && open.revision === expectedRevision;
        if (open && !continues) await recordBurst(id);
        const saved = await workflows.saveDraft(id, document, expectedRevision);
        const doc = WorkflowDocument.parse(document);
        const b: Burst = continues
          ? { ...open, revision: saved.draftRevision, saves: open.saves + 1, last: doc, lastAt: t }
          : { workflowId: id, slug: before.slug, actor: nameOf(by), by, fromRevision: expectedRevision, revision: saved.draftRevision, saves: 1, base: before.draft, last: doc, firstAt: t, lastAt: t };
        if (open?.timer) clearTimeout(open.timer);
        bursts.set(id, b);
        armTimer(b);
        return saved;
      });
    },

    /** Records the workflow's open editing burst now (before a publish, so the log reads in order). */
    async recordDraftSaves(idOrSlug: string): Promise<void> {
      const id = await idOf(idOrSlug);
      await serial(id, () => recordBurst(id));
    },

    /**
     * Archives a workflow (hidden from the list, no longer started by events or by hand) or restores it,
     * and records `workflow.archived` / `workflow.restored`: the audit trail shows who did it, and every
     * Spine process's engine re-reads its triggers when the event reaches it.
     */
    async setArchived(idOrSlug: string, archived: boolean, by: ChangedBy = 'system'): Promise<WorkflowSummary> {
      const id = await idOf(idOrSlug);
      return serial(id, async () => {
        const before = await workflows.get(id);
        if (before.archived === archived) return summaryOf(before);
        await recordBurst(id);
        await db.workflow.update({ where: { id }, data: { archived } });
        const after = await workflows.get(id);
        const type = archived ? 'workflow.archived' : 'workflow.restored';
        await spine.publish({ type, key: keyOf(id), source: user(by), idempotencyKey: `workflow:${id}:${type}:${after.updatedAt}`, payload: { workflowId: id, slug: before.slug } });
        return summaryOf(after);
      });
    },

    /**
     * Serves a workflow as an A2A agent (its card and JSON-RPC endpoint, server/a2a) or stops, and records
     * `workflow.a2a_exposed` / `workflow.a2a_withdrawn` with who did it. Setting what is already set records nothing.
     */
    async setA2aExposed(idOrSlug: string, exposed: boolean, by: ChangedBy = 'system'): Promise<WorkflowSummary> {
      const id = await idOf(idOrSlug);
      return serial(id, async () => {
        const before = await workflows.get(id);
        if (before.a2aExposed === exposed) return summaryOf(before);
        await recordBurst(id);
        await db.workflow.update({ where: { id }, data: { a2aExposed: exposed } });
        const after = await workflows.get(id);
        const type = exposed ? 'workflow.a2a_exposed' : 'workflow.a2a_withdrawn';
        await spine.publish({ type, key: keyOf(id), source: user(by), idempotencyKey: `workflow:${id}:${type}:${after.updatedAt}`, payload: { workflowId: id, slug: before.slug } });
        return summaryOf(after);
      });
    },
  };
}
export type WorkflowLibrary = ReturnType<typeof createWorkflowLibrary>;

function summaryOf(d: WorkflowDetail): WorkflowSummary {
  const { draft: _draft, ...summary } = d;
  return summary;
}

/**
 * Workflows on disk: an editable draft with a revision counter (optimistic concurrency: a save names the
 * revision it edited, a stale one gets 409) and immutable published versions (the database refuses
 * UPDATE on them). Publishing validates with the same validator the designer runs; a document with errors
 * cannot be published. Runs keep the version they started on.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '@/server/db';
import { ConflictError, NotFoundError, ValidationError } from '@/server/errors';
import { WORKFLOW_SLUG, WorkflowDocument } from './schema';
import { validateWorkflow, type Problem } from './validate';

export const WorkflowCreate = z
  .object({
    name: z.string().min(1).max(200),
    slug: z.string().regex(WORKFLOW_SLUG, 'slug: lower-case letters, digits and dashes').optional(),
    description: z.string().max(2000).default(''),
    document: WorkflowDocument.optional(),
  })
  .strict();
export type WorkflowCreate = z.input<typeof WorkflowCreate>;

export type WorkflowSummary = {
  id: string;
  slug: string;
  name: string;
  description: string;
  draftRevision: number;
  publishedVersion: number | null;
  triggerType: string | null;
  archived: boolean;
  /** Served as an A2A agent while published and not archived (server/a2a). */
  a2aExposed: boolean;
  updatedAt: string;
};

export type WorkflowDetail = WorkflowSummary & { draft: WorkflowDocument };

const EMPTY: WorkflowDocument = { formatVersion: 1, nodes: [], edges: [] };

const summarySelect = { id: true, slug: true, name: true, description: true, draftRevision: true, publishedVersion: true, triggerType: true, archived: true, a2aExposed: true, updatedAt: true } as const;

function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'workflow';
}

export function triggerTypeOf(doc: WorkflowDocument): string | null {
  const t = doc.nodes.find((n) => n.kind === 'trigger');
  return t && t.kind === 'trigger' && t.config.mode === 'event' ? (t.config.eventType ?? null) : null;
}

export function createWorkflowStore(db: Db) {
  const toSummary = (w: { id: string; slug: string; name: string; description: string; draftRevision: number; publishedVersion: number | null; triggerType: string | null; archived: boolean; a2aExposed: boolean; updatedAt: Date }): WorkflowSummary => ({
    id: w.id, slug: w.slug, name: w.name, description: w.description, draftRevision: w.draftRevision, publishedVersion: w.publishedVersion,
    triggerType: w.triggerType, archived: w.archived, a2aExposed: w.a2aExposed, updatedAt: w.updatedAt.toISOString(),
  });

  async function find(idOrSlug: string) {
    const w = (await db.workflow.findUnique({ where: { id: idOrSlug } })) ?? (await db.workflow.findUnique({ where: { slug: idOrSlug } }));
    if (!w) throw new NotFoundError('workflow.not_found', `No workflow '${idOrSlug}'`, { workflowId: idOrSlug });
    return w;
  }

  return {
    async create(raw: WorkflowCreate): Promise<WorkflowDetail> {
      const input = WorkflowCreate.parse(raw);
      let slug = input.slug ?? slugify(input.name);
      if (await db.workflow.findUnique({ where: { slug } })) {
        if (input.slug) throw new ConflictError('workflow.slug_taken', `The slug '${slug}' is taken`, { slug });
        slug = `${slug}-${randomUUID().slice(0, 6)}`;
      }
      const draft = input.document ?? EMPTY;
      const w = await db.workflow.create({ data: { id: randomUUID(), slug, name: input.name, description: input.description, draft: JSON.stringify(draft) } });
      return { ...toSummary(w), draft };
    },

    async list(opts: { includeArchived?: boolean } = {}): Promise<WorkflowSummary[]> {
      const rows = await db.workflow.findMany({ where: opts.includeArchived ? {} : { archived: false }, select: summarySelect, orderBy: { name: 'asc' } });
      return rows.map(toSummary);
    },

    /** A workflow's name and whether it is archived, in one narrow query (every run start asks: no draft is read). */
    async archiveState(idOrSlug: string): Promise<{ id: string; slug: string; name: string; archived: boolean }> {
      const select = { id: true, slug: true, name: true, archived: true } as const;
      const w = (await db.workflow.findUnique({ where: { id: idOrSlug }, select })) ?? (await db.workflow.findUnique({ where: { slug: idOrSlug }, select }));
      if (!w) throw new NotFoundError('workflow.not_found', `No workflow '${idOrSlug}'`, { workflowId: idOrSlug });
      return w;
    },

    async get(idOrSlug: string): Promise<WorkflowDetail> {
      const w = await find(idOrSlug);
      return { ...toSummary(w), draft: WorkflowDocument.parse(JSON.parse(w.draft)) };
    },

    /** Saves the draft if `expectedRevision` is still current; returns the new revision. */
    async saveDraft(idOrSlug: string, document: WorkflowDocument, expectedRevision: number): Promise<{ draftRevision: number }> {
      const w = await find(idOrSlug);
      const doc = WorkflowDocument.parse(document);
      const r = await db.workflow.updateMany({ where: { id: w.id, draftRevision: expectedRevision }, data: { draft: JSON.stringify(doc), draftRevision: { increment: 1 } } });
      if (r.count === 0) {
        const now = await db.workflow.findUnique({ where: { id: w.id }, select: { draftRevision: true } });
        throw new ConflictError('workflow.draft_conflict', `The draft was saved elsewhere (revision ${now?.draftRevision}); you edited revision ${expectedRevision}`, { workflowId: w.id, currentRevision: now?.draftRevision });
      }
      return { draftRevision: expectedRevision + 1 };
    },

    /** Publishes the current draft as the next immutable version. */
    async publish(idOrSlug: string, opts: { summary?: string; createdBy?: string; agents?: ReadonlySet<string>; removedAgents?: ReadonlySet<string> } = {}): Promise<{ version: number; problems: Problem[] }> {
      const w = await find(idOrSlug);
      const doc = WorkflowDocument.parse(JSON.parse(w.draft));
      const problems = validateWorkflow(doc, { agents: opts.agents, removedAgents: opts.removedAgents });
      const errors = problems.filter((p) => p.severity === 'error');
      if (errors.length) throw new ValidationError('workflow.invalid', `The workflow has ${errors.length} error(s); fix them before publishing`, { problems });
      const version = (w.publishedVersion ?? 0) + 1;
      await db.$transaction([
        db.workflowVersion.create({ data: { workflowId: w.id, version, document: JSON.stringify(doc), summary: opts.summary ?? '', createdBy: opts.createdBy ?? 'system' } }),
        db.workflow.update({ where: { id: w.id }, data: { publishedVersion: version, triggerType: triggerTypeOf(doc) } }),
      ]);
      return { version, problems };
    },

    async getVersion(idOrSlug: string, version?: number): Promise<{ workflowId: string; slug: string; name: string; version: number; document: WorkflowDocument; summary: string; createdAt: string }> {
      const w = await find(idOrSlug);
      const v = version ?? w.publishedVersion;
      if (v === null || v === undefined) throw new NotFoundError('workflow.not_published', `Workflow '${w.slug}' has no published version`, { workflowId: w.id });
      const row = await db.workflowVersion.findUnique({ where: { workflowId_version: { workflowId: w.id, version: v } } });
      if (!row) throw new NotFoundError('workflow.version_not_found', `Workflow '${w.slug}' has no version ${v}`, { workflowId: w.id, version: v });
      return { workflowId: w.id, slug: w.slug, name: w.name, version: v, document: WorkflowDocument.parse(JSON.parse(row.document)), summary: row.summary, createdAt: row.createdAt.toISOString() };
    },

    async versions(idOrSlug: string): Promise<{ version: number; summary: string; createdAt: string; createdBy: string }[]> {
      const w = await find(idOrSlug);
      const rows = await db.workflowVersion.findMany({ where: { workflowId: w.id }, select: { version: true, summary: true, createdAt: true, createdBy: true }, orderBy: { version: 'desc' } });
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },

    /** Published, unarchived workflows served as A2A agents (name order). */
    async a2aExposed(): Promise<WorkflowSummary[]> {
      const rows = await db.workflow.findMany({ where: { a2aExposed: true, archived: false, publishedVersion: { not: null } }, select: summarySelect, orderBy: { name: 'asc' } });
      return rows.map(toSummary);
    },

    /** Every published workflow's event trigger, archived ones included (flagged): the engine decides by log order which are on. */
    async eventTriggers(): Promise<{ workflowId: string; slug: string; version: number; eventType: string; archived: boolean }[]> {
      const rows = await db.workflow.findMany({ where: { publishedVersion: { not: null }, triggerType: { not: null } }, select: { id: true, slug: true, publishedVersion: true, triggerType: true, archived: true } });
      return rows.map((r) => ({ workflowId: r.id, slug: r.slug, version: r.publishedVersion!, eventType: r.triggerType!, archived: r.archived }));
    },
  };
}
export type WorkflowStore = ReturnType<typeof createWorkflowStore>;

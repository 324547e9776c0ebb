/**
 * `/api/v1/workflows`: published workflows, by id or stable slug, and the workflow library for automation:
 * create (blank, from a demo template or from a document), read and save the draft (a stale
 * `expectedRevision` is 409 `workflow.draft_conflict`), publish, archive and restore, and expose over A2A. Changes need the
 * architect role and call the same library and engine functions as the designer's tRPC router, so they are
 * recorded as the same `workflow.*` events, with the caller (a person, or a key as `apiKey`) as source.
 */
import { z } from 'zod';
import { isSpineError, ValidationError } from '@/server/errors';
import { createWorkflowLibrary, WorkflowCreate } from '@/server/workflows';
import { WorkflowDocument } from '@/server/workflows/schema';
import { authorize, type Need } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireDb, requireEngine, runtimeServices, type HttpServices, type ServicesGetter } from '../services';

/** A workflow document is at most this big over the API (a large graph is a few hundred KiB). */
export const WORKFLOW_BODY_LIMIT = 1024 * 1024;

const Id = z.string().min(1).max(128);
type Params = { params: Promise<{ workflowId: string }> };

export const CreateWorkflowBody = WorkflowCreate.extend({
  /** Without one: the template's description, or none. */
  description: z.string().max(2000).optional(),
  /** Start from a demo template (its document and description, unless given). */
  template: z.string().min(1).max(64).optional(),
}).strict();
export const SaveDraftBody = z.object({ document: WorkflowDocument, expectedRevision: z.number().int().min(1) }).strict();
export const PublishBody = z.object({ summary: z.string().max(2000).default('') }).strict();
/** Serve the workflow as an A2A agent (its card and JSON-RPC endpoint under /api/a2a/{id}) or stop. */
export const A2aExposureBody = z.object({ exposed: z.boolean() }).strict();

const ARCHITECT: Need = { kind: 'role', roles: ['architect'] };

async function workflowIdOf(ctx: Params): Promise<string> {
  const parsed = Id.safeParse((await ctx.params).workflowId);
  if (!parsed.success) throw new ValidationError('request.invalid_id', 'workflowId must be 1 to 128 characters');
  return parsed.data;
}

/** Parses a request body with `schema`; a 400 names the first field that is wrong. */
function parseBody<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const at = i.path.join('.');
    throw new ValidationError('workflow.invalid_request', i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : `${at || 'body'}: ${i.message}`, {
      field: at || undefined,
      issues: parsed.error.issues.slice(0, 5),
    });
  }
  return parsed.data;
}

/** A body that may be left out (publish): none, or an empty one, reads as `{}`. */
async function optionalBody(req: Request, limit: number): Promise<unknown> {
  try {
    return await readJsonBody(req, limit);
  } catch (e) {
    if (isSpineError(e) && e.code === 'request.empty_body') return {};
    throw e;
  }
}

function libraryOf(svc: HttpServices) {
  return createWorkflowLibrary({ db: requireDb(svc), workflows: requireEngine(svc).workflows, spine: svc.spine });
}

export function workflowsApi(services: ServicesGetter = runtimeServices) {
  const guard = async (req: Request, need: Need) => {
    const svc = await services();
    return { actor: await authorize(req, svc, need), svc };
  };
  const setArchived = (archived: boolean) =>
    withErrorHandling(async (req: Request, ctx: Params) => {
      const { actor, svc } = await guard(req, ARCHITECT);
      const summary = await libraryOf(svc).setArchived(await workflowIdOf(ctx), archived, actor);
      // As the tRPC router: this process's engine re-reads its triggers now, so the change holds from this answer on.
      await requireEngine(svc).refreshTriggers();
      return json(summary);
    });
  return {
    list: withErrorHandling(async (req: Request) => {
      const { svc } = await guard(req, { kind: 'read' });
      const { workflows } = requireEngine(svc);
      const all = await workflows.list();
      return json({ workflows: all.filter((w) => w.publishedVersion !== null).map(({ id, slug, name, description, publishedVersion, triggerType, updatedAt }) => ({ id, slug, name, description, publishedVersion, triggerType, updatedAt })) });
    }),
    get: withErrorHandling(async (req: Request, ctx: Params) => {
      const { svc } = await guard(req, { kind: 'read' });
      const { workflows } = requireEngine(svc);
      const id = await workflowIdOf(ctx);
      const v = await workflows.getVersion(id);
      return json({ id: v.workflowId, slug: v.slug, name: v.name, version: v.version, document: v.document, versions: await workflows.versions(id) });
    }),
    /** 201 with the new workflow (its id, slug, draft and draftRevision 1). */
    create: withErrorHandling(async (req: Request) => {
      const { actor, svc } = await guard(req, ARCHITECT);
      const body = parseBody(CreateWorkflowBody, await readJsonBody(req, WORKFLOW_BODY_LIMIT));
      return json(await libraryOf(svc).createFrom(body, actor), 201);
    }),
    /** The current draft and its revision (what a PUT names as `expectedRevision`), archived or not. */
    draft: withErrorHandling(async (req: Request, ctx: Params) => {
      const { svc } = await guard(req, { kind: 'read' });
      return json(await requireEngine(svc).workflows.get(await workflowIdOf(ctx)));
    }),
    saveDraft: withErrorHandling(async (req: Request, ctx: Params) => {
      const { actor, svc } = await guard(req, ARCHITECT);
      const id = await workflowIdOf(ctx);
      const body = parseBody(SaveDraftBody, await readJsonBody(req, WORKFLOW_BODY_LIMIT));
      return json(await libraryOf(svc).saveDraft(id, body.document, body.expectedRevision, actor));
    }),
    /** Publishes the saved draft; 400 `workflow.invalid` with the problems when it has errors. */
    publish: withErrorHandling(async (req: Request, ctx: Params) => {
      const { actor, svc } = await guard(req, ARCHITECT);
      const id = await workflowIdOf(ctx);
      const body = parseBody(PublishBody, await optionalBody(req, 64 * 1024));
      await libraryOf(svc).recordDraftSaves(id);
      return json(await requireEngine(svc).publishWorkflow(id, { summary: body.summary, by: actor }));
    }),
    archive: setArchived(true),
    restore: setArchived(false),
    /** Exposes the workflow over A2A or withdraws it (`workflow.a2a_exposed` / `workflow.a2a_withdrawn`); answers the summary. */
    setA2a: withErrorHandling(async (req: Request, ctx: Params) => {
      const { actor, svc } = await guard(req, ARCHITECT);
      const id = await workflowIdOf(ctx);
      const body = parseBody(A2aExposureBody, await readJsonBody(req, 4096));
      return json(await libraryOf(svc).setA2aExposed(id, body.exposed, actor));
    }),
  };
}

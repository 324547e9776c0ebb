/**
 * Workflows over tRPC, for the designer (`/workflows`, `/workflows/[id]`): the library list, drafts with
 * optimistic concurrency (a stale `expectedRevision` is 409 `workflow.draft_conflict`), publishing through
 * the engine (which validates with the agent registry and refreshes triggers), versions, starting a run of
 * the published version (refused for an archived workflow). Every change is recorded with the caller's name (server/workflows/library.ts says which events).
 */
import { z } from 'zod';
import { StartRunInput } from '@/server/engine';
import { createWorkflowLibrary, DEMO_TEMPLATES } from '@/server/workflows';
import { WorkflowDocument } from '@/server/workflows/schema';
import { authedProcedure, requireDb, roleProcedure, router, type Context } from '../trpc';

const WorkflowId = z.string().min(1).max(128);
const Name = z.string().trim().min(1, 'a name is required').max(200);

export const WorkflowIdInput = z.object({ id: WorkflowId }).strict();
export const CreateWorkflowInput = z
  .object({
    name: Name,
    description: z.string().max(2000).optional(),
    /** Start from a demo template (its document and description). */
    template: z.string().max(64).optional(),
    /** Start from an imported document. */
    document: WorkflowDocument.optional(),
  })
  .strict();
export const RenameWorkflowInput = z.object({ id: WorkflowId, name: Name, description: z.string().max(2000).optional() }).strict();
export const SaveDraftInput = z.object({ id: WorkflowId, document: WorkflowDocument, expectedRevision: z.number().int().min(1) }).strict();
export const PublishInput = z.object({ id: WorkflowId, summary: z.string().max(2000).default('') }).strict();
export const VersionInput = z.object({ id: WorkflowId, version: z.number().int().min(1) }).strict();
export const StartWorkflowRunInput = StartRunInput.pick({ input: true, intent: true, constraints: true, deadline: true, idempotencyKey: true })
  .extend({ id: WorkflowId })
  .strict();
/** The library over the context's database, the engine's workflow store and the spine. */
function libraryOf(ctx: Context) {
  return createWorkflowLibrary({ db: requireDb(ctx.db), workflows: ctx.engine.workflows, spine: ctx.spine });
}

export const workflowsRouter = router({
  /** The library: every workflow with draft status, last run and runs in the last 24 h. */
  list: authedProcedure
    .input(z.object({ includeArchived: z.boolean().default(false) }).strict().default({ includeArchived: false }))
    .query(async ({ ctx, input }) => libraryOf(ctx).overview(input)),

  /** The demo scenarios, offered as starting points. */
  templates: authedProcedure.query(() => DEMO_TEMPLATES.map(({ slug, name, description, document }) => ({ slug, name, description, nodeCount: document.nodes.length }))),

  /** A workflow with its current draft and draft revision. */
  get: authedProcedure.input(WorkflowIdInput).query(({ ctx, input }) => ctx.engine.workflows.get(input.id)),

  /** A new workflow (blank, from a template or an imported document); recorded as `workflow.created`. */
  create: roleProcedure('architect')
    .input(CreateWorkflowInput)
    .mutation(({ ctx, input }) => libraryOf(ctx).createFrom(input, ctx.actor.name)),

  rename: roleProcedure('architect')
    .input(RenameWorkflowInput)
    .mutation(async ({ ctx, input: { id, ...rest } }) => libraryOf(ctx).rename(id, rest, ctx.actor.name)),

  duplicate: roleProcedure('architect')
    .input(z.object({ id: WorkflowId, name: Name.optional() }).strict())
    .mutation(async ({ ctx, input }) => libraryOf(ctx).duplicate(input.id, { name: input.name, by: ctx.actor.name })),

  setArchived: roleProcedure('architect')
    .input(z.object({ id: WorkflowId, archived: z.boolean() }).strict())
    .mutation(async ({ ctx, input }) => {
      const summary = await libraryOf(ctx).setArchived(input.id, input.archived, ctx.actor.name);
      // An archived workflow no longer starts on events. The leading engine re-reads its triggers when the
      // event reaches it; this process's engine does so now, so the change holds from this answer on.
      await ctx.engine.refreshTriggers();
      return summary;
    }),

  /** Serves the workflow as an A2A agent (card and JSON-RPC endpoint at /api/a2a/{id}) or stops. */
  setA2aExposed: roleProcedure('architect')
    .input(z.object({ id: WorkflowId, exposed: z.boolean() }).strict())
    .mutation(async ({ ctx, input }) => libraryOf(ctx).setA2aExposed(input.id, input.exposed, ctx.actor.name)),

  /**
   * Saves the draft if `expectedRevision` is current; 409 `workflow.draft_conflict` if it was saved
   * elsewhere. Counted into the caller's editing burst (one `workflow.draft_saved` per burst).
   */
  saveDraft: roleProcedure('architect')
    .input(SaveDraftInput)
    .mutation(async ({ ctx, input }) => libraryOf(ctx).saveDraft(input.id, input.document, input.expectedRevision, ctx.actor.name)),

  /**
   * Publishes the saved draft as the next immutable version; refused (400 `workflow.invalid`) with errors.
   * The draft saves before it are recorded first, so the log reads saves → `workflow.published`.
   */
  publish: roleProcedure('architect')
    .input(PublishInput)
    .mutation(async ({ ctx, input }) => {
      await libraryOf(ctx).recordDraftSaves(input.id);
      return ctx.engine.publishWorkflow(input.id, { summary: input.summary, createdBy: ctx.actor.name });
    }),

  /** Published versions, newest first. */
  versions: authedProcedure.input(WorkflowIdInput).query(({ ctx, input }) => ctx.engine.workflows.versions(input.id)),

  version: authedProcedure.input(VersionInput).query(({ ctx, input }) => ctx.engine.workflows.getVersion(input.id, input.version)),

  /**
   * The designer's Run button: starts a run of the published version, recorded with trigger `designer` and
   * the caller as its requester; 409 `workflow.archived` for an archived workflow.
   */
  startRun: roleProcedure('operator')
    .input(StartWorkflowRunInput)
    .mutation(({ ctx, input: { id, ...run } }) => ctx.engine.startRun(id, run, ctx.actor, { via: 'designer', trace: ctx.trace })),
});

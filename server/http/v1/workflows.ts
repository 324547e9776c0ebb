/**
 * `/api/v1/workflows`: published workflows, by id or stable slug.
 */
import { authorize } from '../auth';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';

export function workflowsApi(services: ServicesGetter = runtimeServices) {
  return {
    list: withErrorHandling(async (req: Request) => {
      const svc = await services();
      await authorize(req, svc, { kind: 'read' });
      const { workflows } = requireEngine(svc);
      const all = await workflows.list();
      return json({ workflows: all.filter((w) => w.publishedVersion !== null).map(({ id, slug, name, description, publishedVersion, triggerType, updatedAt }) => ({ id, slug, name, description, publishedVersion, triggerType, updatedAt })) });
    }),
    get: withErrorHandling(async (req: Request, ctx: { params: Promise<{ workflowId: string }> }) => {
      const svc = await services();
      await authorize(req, svc, { kind: 'read' });
      const { workflows } = requireEngine(svc);
      const id = (await ctx.params).workflowId;
      const v = await workflows.getVersion(id);
      return json({ id: v.workflowId, slug: v.slug, name: v.name, version: v.version, document: v.document, versions: await workflows.versions(id) });
    }),
  };
}

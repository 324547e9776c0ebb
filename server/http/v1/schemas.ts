/**
 * `/api/v1/schemas`: the event-type schema registry (server/contracts). Anyone signed in reads; architects
 * (and admins) register a new version with PUT, which is refused with 409 `schema.breaking` and the places
 * that break when a published workflow reads a field the change removes or retypes, unless `force: true`.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import type { Json } from '@/server/spine';
import { authorize, type Need } from '../auth';
import { readJsonBody } from '../body';
import { json, withErrorHandling } from '../errors';
import { requireEngine, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

type Params = { params: Promise<{ type: string }> };
const BODY_LIMIT = 256 * 1024;
const ARCHITECT: Need = { kind: 'role', roles: ['architect'] };

export const SchemaPut = z
  .object({
    /** The JSON Schema (draft 2020-12 keywords as Ajv supports them). */
    schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]),
    description: z.string().max(2_000).optional(),
    /** Register although published workflows read what the change breaks. */
    force: z.boolean().optional(),
  })
  .strict();

const VersionQuery = z.object({ version: z.coerce.number().int().min(1).max(1_000_000).optional() }).strict();

async function typeParam(ctx: Params): Promise<string> {
  const t = decodeURIComponent((await ctx.params).type ?? '');
  if (t.length < 1 || t.length > 128) throw new ValidationError('request.invalid_id', 'type must be 1 to 128 characters');
  return t;
}

export function schemasApi(services: ServicesGetter = runtimeServices) {
  return {
    list: withErrorHandling(async (req: Request) => {
      const svc = await services();
      await authorize(req, svc, { kind: 'read' });
      return json({ schemas: await requireEngine(svc).schemas.list() });
    }),
    /** The latest version, or `?version=n`; with `versions` listing every version (newest first). */
    get: withErrorHandling(async (req: Request, ctx: Params) => {
      const svc = await services();
      await authorize(req, svc, { kind: 'read' });
      const type = await typeParam(ctx);
      const { version } = parseQuery(VersionQuery, new URL(req.url));
      const schemas = requireEngine(svc).schemas;
      const v = await schemas.get(type, version);
      return json({ ...v, versions: (await schemas.versions(type)).map((x) => ({ version: x.version, registeredAt: x.registeredAt, registeredBy: x.registeredBy, forced: x.forced })) });
    }),
    put: withErrorHandling(async (req: Request, ctx: Params) => {
      const svc = await services();
      const actor = await authorize(req, svc, ARCHITECT);
      const type = await typeParam(ctx);
      const parsed = SchemaPut.safeParse(await readJsonBody(req, BODY_LIMIT));
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new ValidationError('schema.invalid', i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`);
      }
      const { schema, ...rest } = parsed.data;
      const r = await requireEngine(svc).schemas.put(type, { schema: schema as Json, ...rest }, actor);
      return json({ ...r.version, created: r.created, breaking: r.breaking }, r.created ? 201 : 200);
    }),
  };
}

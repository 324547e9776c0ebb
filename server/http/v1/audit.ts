/**
 * `/api/v1/audit/verify`: recomputes the hash chain over a seq range and names the first bad seq.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { authorize } from '../auth';
import { json, withErrorHandling } from '../errors';
import { runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

const Seq = z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).pipe(z.number().int().min(1));
const VerifyQuery = z.object({ from: Seq.optional(), to: Seq.optional() }).strict();

export function auditApi(services: ServicesGetter = runtimeServices) {
  const verify = withErrorHandling(async (req: Request) => {
    const svc = await services();
    await authorize(req, svc, { kind: 'role', roles: ['auditor'] });
    const q = parseQuery(VerifyQuery, new URL(req.url));
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new ValidationError('request.invalid_query', 'from must not exceed to');
    const { spine } = svc;
    return json(await spine.verify(q.from, q.to));
  });
  return { verify };
}

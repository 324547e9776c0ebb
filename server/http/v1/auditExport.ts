/**
 * `/api/v1/audit/export` and `/api/v1/audit/public-key`.
 *
 * Export: a run (`runId`), a seq range (`from`, `to`) or a time range (`since`, `until`, ISO 8601) as JSONL
 * or CSV (`format`), streamed as a download, with the hash chain, signed checkpoints and a signed trailer
 * (server/audit/exportFormat.ts). `npx spine-verify <file> --pubkey <key>` checks it offline.
 * Public key: the Ed25519 key that signs checkpoints and exports, as PEM, for verifiers to keep.
 */
import { z } from 'zod';
import { ForbiddenError, ValidationError } from '@/server/errors';
import { EXPORT_FORMATS } from '@/server/audit';
import { seqAtTime } from '@/server/observability';
import { authorize, readsEveryType } from '../auth';
import { withErrorHandling } from '../errors';
import { auditOf, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

const Seq = z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));
const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const ExportQuery = z
  .object({
    runId: z.string().min(1).max(128).optional(),
    from: Seq.optional(),
    to: Seq.optional(),
    since: Instant.optional(),
    until: Instant.optional(),
    format: z.enum(EXPORT_FORMATS).default('jsonl'),
  })
  .strict();

export function auditExportApi(services: ServicesGetter = runtimeServices) {
  const exportHandler = withErrorHandling(async (req: Request) => {
    const svc = await services();
    const actor = await authorize(req, svc, { kind: 'role', roles: ['auditor'] });
    // An export holds every event of its range (the chain needs them all): only for readers of every type.
    if (!readsEveryType(actor)) throw new ForbiddenError('auth.forbidden', 'An export holds every event type; this key’s read scope does not cover them all');
    const q = parseQuery(ExportQuery, new URL(req.url));
    const ranged = q.from !== undefined || q.to !== undefined || q.since !== undefined || q.until !== undefined;
    if (q.runId && ranged) throw new ValidationError('request.invalid_query', 'Give either runId or a range (from/to or since/until), not both');
    if ((q.from !== undefined || q.to !== undefined) && (q.since !== undefined || q.until !== undefined))
      throw new ValidationError('request.invalid_query', 'Give the range as seqs (from/to) or as times (since/until), not both');
    let fromSeq = q.from;
    let toSeq = q.to;
    if (q.since !== undefined) fromSeq = await seqAtTime(svc.spine.log, q.since);
    if (q.until !== undefined) toSeq = (await seqAtTime(svc.spine.log, q.until + 1)) - 1;
    if (fromSeq !== undefined && toSeq !== undefined && fromSeq > toSeq) throw new ValidationError('audit.empty_range', 'Nothing to export in that range', { fromSeq, toSeq });
    const prepared = await auditOf(svc).export(q.runId ? { runId: q.runId, format: q.format } : { fromSeq, toSeq, format: q.format });
    // Every check is done: from here on the response streams, and an error can only cut it short
    // (which the missing signed trailer makes evident to any verifier).
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await prepared.body.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (e) {
          console.error('spine: audit export failed', e);
          controller.error(e);
        }
      },
      async cancel() {
        await prepared.body.return(undefined);
      },
    });
    return new Response(body, {
      headers: {
        'content-type': prepared.contentType,
        'content-disposition': `attachment; filename="${prepared.fileName}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
    });
  });

  const publicKey = withErrorHandling(async (req: Request) => {
    const svc = await services();
    const audit = auditOf(svc);
    void req;
    return new Response(audit.publicKeyPem, {
      headers: {
        'content-type': 'application/x-pem-file; charset=utf-8',
        'content-disposition': `inline; filename="spine-audit-${audit.keyId}.pem"`,
        'x-spine-key-id': audit.keyId,
        'cache-control': 'no-cache',
      },
    });
  });

  return { export: exportHandler, publicKey };
}

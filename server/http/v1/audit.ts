/**
 * `/api/v1/audit/verify`: verify integrity over a seq range, the same check as the audit page's: the
 * hash chain recomputed, and the signed checkpoints against it (server/audit/verifyLog.ts). So a chain
 * rewritten with every hash and the head recomputed, or a tail cut off with the head fixed, answers
 * `ok: false` with the first bad seq and what is wrong; an intact range names the checkpoint that vouches
 * for it (`vouchedBy`), or says which part no checkpoint covers yet (`unvouched`).
 */
import { z } from 'zod';
import type { AuditVerification, CheckpointRef } from '@/server/audit';
import { ValidationError } from '@/server/errors';
import { authorize } from '../auth';
import { json, withErrorHandling } from '../errors';
import { auditOf, runtimeServices, type ServicesGetter } from '../services';
import { parseQuery } from './events';

const Seq = z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));
const VerifyQuery = z.object({ from: Seq.optional(), to: Seq.optional() }).strict();

/** The public verdict (documented in server/http/openapi.ts as AuditVerifyResult). */
export type AuditVerifyResult = {
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  head: number;
  /** Events whose hashes were recomputed (the range, and on to the vouching checkpoint). */
  checked: number;
  firstBadSeq: number | null;
  /** The hash chain's own finding at firstBadSeq, when it is the chain that breaks. */
  reason: AuditVerification['chain']['reason'] | null;
  problems: string[];
  vouchedBy: CheckpointRef | null;
  unvouched: { fromSeq: number; toSeq: number } | null;
  checkpoints: Pick<AuditVerification['checkpoints'], 'checked' | 'matching' | 'mismatched' | 'beyondHead' | 'unverified'> & { latest: CheckpointRef | null };
};

export function toVerifyResult(v: AuditVerification): AuditVerifyResult {
  const { checked, matching, mismatched, beyondHead, unverified, latestSigned: latest } = v.checkpoints;
  return {
    ok: v.ok,
    fromSeq: v.fromSeq,
    toSeq: v.toSeq,
    head: v.head,
    checked: v.chain.checked,
    firstBadSeq: v.firstBadSeq,
    reason: v.chain.ok ? null : (v.chain.reason ?? null),
    problems: v.problems,
    vouchedBy: v.vouchedBy,
    unvouched: v.unvouched,
    checkpoints: { checked, matching, mismatched, beyondHead, unverified, latest },
  };
}

export function auditApi(services: ServicesGetter = runtimeServices) {
  const verify = withErrorHandling(async (req: Request) => {
    const svc = await services();
    await authorize(req, svc, { kind: 'role', roles: ['auditor'] });
    const q = parseQuery(VerifyQuery, new URL(req.url));
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new ValidationError('request.invalid_query', 'from must not exceed to');
    return json(toVerifyResult(await auditOf(svc).verify(q.from, q.to)));
  });
  return { verify };
}

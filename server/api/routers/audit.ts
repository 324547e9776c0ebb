/**
 * Audit over tRPC: the signing key and checkpoint status, signed checkpoints, verify integrity over a seq
 * range (chain and checkpoints), and signing a checkpoint now. Exports are downloads, served by the public
 * API (`GET /api/v1/audit/export`).
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { auditOf, roleProcedure, router } from '../trpc';

const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const VerifyInput = z
  .object({ from: Seq.optional(), to: Seq.optional() })
  .strict()
  .refine((v) => v.from === undefined || v.to === undefined || v.from <= v.to, { message: 'from must not exceed to' });
export const CheckpointsInput = z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict();

export const auditRouter = router({
  status: roleProcedure('auditor').query(({ ctx }) => {
    const a = auditOf(ctx);
    return { keyId: a.keyId, publicKeyPem: a.publicKeyPem, ...a.status() };
  }),
  /** The newest signed checkpoints first. */
  checkpoints: roleProcedure('auditor').input(CheckpointsInput).query(async ({ ctx, input }) => (await auditOf(ctx).checkpoints()).reverse().slice(0, input.limit)),
  verify: roleProcedure('auditor').input(VerifyInput).query(({ ctx, input }) => auditOf(ctx).verify(input.from, input.to)),
  signNow: roleProcedure('admin').mutation(async ({ ctx }) => {
    const cp = await auditOf(ctx).signNow();
    if (!cp) throw new ValidationError('audit.not_signed', 'No checkpoint was signed: the log is empty, or the chain since the last checkpoint does not verify');
    return cp;
  }),
});

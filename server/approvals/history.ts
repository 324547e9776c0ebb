/**
 * Decided approvals, newest first: who decided what, when, with which comment, on which run and step,
 * read from the `approval.decided` events (one per vote; an approval that needs two approvals has two),
 * a page at a time. The cursor is the seq of the last decision shown, so decisions recorded while a
 * reader pages arrive at the top and never make a later page repeat or skip one. Steps are labelled from
 * the workflow version the run was on.
 */
import { z } from 'zod';
import type { EngineService } from '@/server/engine';
import { ValidationError } from '@/server/errors';
import { logQueries, num, type Spine } from '@/server/spine';

/** Decisions per page. @default 50 */
export const HISTORY_PAGE_SIZE = 50;
export const HISTORY_MAX_PAGE_SIZE = 500;

export const DecidedQuery = z
  .object({
    /** `nextCursor` of the previous page; absent for the first. */
    cursor: z.string().min(1).max(200).optional(),
    /** @default 50 */
    limit: z.number().int().min(1).max(HISTORY_MAX_PAGE_SIZE).default(HISTORY_PAGE_SIZE),
    /** A workflow id or slug. */
    workflow: z.string().min(1).max(128).optional(),
    /** A step (node id). */
    step: z.string().min(1).max(128).optional(),
    decision: z.enum(['approve', 'reject']).optional(),
    /** Who decided (a person's or key's name; `system` for an SLA that lapsed). */
    decidedBy: z.string().min(1).max(256).optional(),
    runId: z.string().min(1).max(128).optional(),
  })
  .strict();
export type DecidedQuery = z.input<typeof DecidedQuery>;

export type DecidedApproval = {
  /** The seq of the `approval.decided` event. */
  seq: number;
  approvalId: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  /** Who decided, as the decision records it, and the event's source (user, apiKey, or engine for a lapse). */
  decidedBy: string;
  source: { kind: string; name: string };
  /** Decided by the engine when the SLA lapsed. */
  auto: boolean;
  /** Which vote of the approval this was (1 for the first). */
  vote: number;
  decidedAt: string;
  run: { id: string; status: string | null; startedBy: string | null };
  workflow: { id: string | null; slug: string | null; name: string | null; version: number | null };
  step: { nodeId: string; label: string };
};

export type DecidedPage = { approvals: DecidedApproval[]; nextCursor: string | null };

const encode = (seq: number) => Buffer.from(JSON.stringify({ d: seq })).toString('base64url');
function decode(cursor: string): number {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && 'd' in v && Number.isSafeInteger(v.d) && (v.d as number) > 0) return v.d as number;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('approvals.invalid_cursor', 'cursor: not a cursor this list returned (pass nextCursor as it came)', { cursor });
}

type Row = {
  seq: unknown; run_id: string; source_kind: string; source_name: string; time_ms: unknown; node: string | null; approval: string | null; decision: string | null; actor: string | null;
  comment: string | null; auto: unknown; n: unknown; status: string | null; started_by: string | null; workflow_id: string | null; version: unknown; w_slug: string | null; w_name: string | null;
};

export async function decidedApprovals(deps: { spine: Spine; engine: EngineService }, raw: DecidedQuery = {}): Promise<DecidedPage> {
  const parsed = DecidedQuery.safeParse(raw);
  if (!parsed.success) throw new ValidationError('approvals.invalid_query', parsed.error.issues[0]!.message, { issues: parsed.error.issues.slice(0, 5) });
  const q = parsed.data;
  const sql = logQueries(deps.spine.log);
  const where = [`e.type = 'approval.decided'`];
  const params: unknown[] = [];
  if (q.cursor) {
    where.push('e.seq < ?');
    params.push(decode(q.cursor));
  }
  const field = (name: string) => sql.jsonText('e.payload', name);
  const eq = (expr: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${expr} = ?`);
    params.push(value);
  };
  eq(field('nodeId'), q.step);
  eq(field('decision'), q.decision);
  eq(field('actor'), q.decidedBy);
  eq('e.run_id', q.runId);
  if (q.workflow !== undefined) {
    where.push('(r.workflow_id = ? OR w.slug = ?)');
    params.push(q.workflow, q.workflow);
  }
  const rows = await sql.all<Row>(
    `SELECT e.seq, e.run_id, e.source_kind, e.source_name, e.time_ms, ${field('nodeId')} AS node, ${field('approvalId')} AS approval, ${field('decision')} AS decision,
       ${field('actor')} AS actor, ${field('comment')} AS comment, ${field('auto')} AS auto, ${sql.jsonNumber('e.payload', 'n')} AS n,
       r.status, r.started_by, r.workflow_id, r.version, w.slug AS w_slug, w.name AS w_name
     FROM events e LEFT JOIN runs r ON r.id = e.run_id LEFT JOIN workflows w ON w.id = r.workflow_id
     WHERE ${where.join(' AND ')} ORDER BY e.seq DESC LIMIT ?`,
    [...params, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  const labels = await stepLabels(deps.engine, page);
  return {
    approvals: page.map((r): DecidedApproval => {
      const version = r.version === null || r.version === undefined ? null : num(r.version);
      const nodeId = r.node ?? '';
      return {
        seq: num(r.seq), approvalId: r.approval ?? `${r.run_id}:${nodeId}`, decision: r.decision === 'reject' ? 'reject' : 'approve', comment: r.comment,
        decidedBy: r.actor ?? r.source_name, source: { kind: r.source_kind, name: r.source_name }, auto: r.auto !== null && ['true', '1'].includes(String(r.auto)), vote: num(r.n) || 1,
        decidedAt: new Date(num(r.time_ms)).toISOString(),
        run: { id: r.run_id, status: r.status, startedBy: r.started_by },
        workflow: { id: r.workflow_id, slug: r.w_slug, name: r.w_name, version },
        step: { nodeId, label: labels.get(`${r.workflow_id}@${version}`)?.get(nodeId) || nodeId },
      };
    }),
    nextCursor: rows.length > q.limit ? encode(num(page[page.length - 1]!.seq)) : null,
  };
}

/** Node labels of the workflow versions on the page, each version read once. */
async function stepLabels(engine: EngineService, rows: Row[]): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  const wanted = new Map<string, { id: string; version: number }>();
  for (const r of rows) if (r.workflow_id && r.version !== null && r.version !== undefined) wanted.set(`${r.workflow_id}@${num(r.version)}`, { id: r.workflow_id, version: num(r.version) });
  await Promise.all(
    [...wanted].map(async ([k, { id, version }]) => {
      const v = await engine.workflows.getVersion(id, version).catch(() => null);
      out.set(k, new Map((v?.document.nodes ?? []).map((n) => [n.id, n.label?.trim() ?? ''])));
    }),
  );
  return out;
}

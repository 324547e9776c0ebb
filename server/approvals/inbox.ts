/**
 * The approvals inbox: the pending approvals with what a person needs to decide one (the run's intent and
 * envelope, the steps it has completed so far, what the workflow does on approve and on reject, the
 * deadline) and whether *this* actor may decide it, a page at a time (a keyset cursor) with search and
 * filters. `whyNot` is
 * the answer of the engine's own rule (`mayDecide`, server/engine/primitives/approval.ts), so the UI explains
 * a disabled button with the code a 403 or 409 would carry. The engine stays the authority: a vote is still
 * checked against the run's fold when it is submitted.
 */
import { z } from 'zod';
import { approvalView, mayDecide, type ApprovalView, type EngineService, type PendingApproval, type VoteRefusalCode, type Vote } from '@/server/engine';
import { NotFoundError, ValidationError } from '@/server/errors';
import { rolesAllow, type Actor } from '@/server/auth/roles';
import type { Envelope, Json, Spine } from '@/server/spine';
import { approvalOutcomes, type ApprovalOutcomes } from './outcomes';
import { stepsSoFar, type PathStep } from './stepsSoFar';

/** Why an actor may not decide an approval (VOTE_REFUSALS, server/engine/primitives/approval.ts); null when they may. */
export type WhyNot = VoteRefusalCode | null;

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';
export type { Vote };

export type InboxItem = Omit<PendingApproval, 'decisions'> & { decisions: Vote[]; canDecide: boolean; whyNot: WhyNot };

/** Cards per page of the inbox. @default 25 */
export const INBOX_PAGE_SIZE = 25;
/** Most cards one page may ask for. */
export const INBOX_MAX_PAGE_SIZE = 500;

/**
 * One page of the inbox, filtered. Pages follow the inbox's order (due soonest first, no deadline last,
 * then by approval id) from `cursor`, the `nextCursor` of the page before: a keyset, so an approval that
 * closes or arrives between two pages never makes the next page repeat or skip one that was there.
 */
export const InboxQuery = z
  .object({
    /** `nextCursor` of the previous page; absent for the first. */
    cursor: z.string().min(1).max(600).nullish(),
    /** Cards per page. @default 25 */
    limit: z.number().int().min(1).max(INBOX_MAX_PAGE_SIZE).default(INBOX_PAGE_SIZE),
    /** Words that must all appear in the intent, workflow, step, role, instructions, requester or run id. */
    search: z.string().trim().max(200).optional(),
    /** A workflow slug. */
    workflow: z.string().min(1).max(128).optional(),
    /** A step (node id). */
    step: z.string().min(1).max(128).optional(),
    /** Only approvals requested at least this long ago (ms). */
    olderThanMs: z.number().int().min(0).max(365 * 24 * 3600 * 1000).optional(),
    /** Only approvals the caller's roles can decide (their role, or admin). */
    assignedToMe: z.boolean().optional(),
    /** Set by tRPC's infinite query; pages only go forward. */
    direction: z.literal('forward').optional(),
  })
  .strict();
export type InboxQuery = z.input<typeof InboxQuery>;

export type InboxFacets = {
  /** Workflows with pending approvals, and how many (before filters). */
  workflows: { slug: string; count: number }[];
  /** Steps with pending approvals, and how many (before filters). */
  steps: { workflowSlug: string; nodeId: string; count: number }[];
};

export type Inbox = {
  /** The spine's head when the list was read: live updates resume after it, so nothing falls in between. */
  head: number;
  approvals: InboxItem[];
  /** Cursor of the next page; null on the last. */
  nextCursor: string | null;
  /** Pending approvals that match the filters, on all pages. */
  total: number;
  /** Of those, how many the caller may decide now. */
  decidable: number;
  facets: InboxFacets;
};

/** Sort key of an inbox item: due soonest first, no deadline last, then by approval id. */
const sortKey = (a: { dueAt: string | null; approvalId: string }): [string, string] => [a.dueAt ?? '~', a.approvalId];
const before = (x: [string, string], y: [string, string]) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0);

export function encodeCursor(a: { dueAt: string | null; approvalId: string }): string {
  return Buffer.from(JSON.stringify(sortKey(a))).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('approvals.invalid_cursor', 'cursor: not a cursor this inbox returned (pass nextCursor as it came)', { cursor });
}

/** Whether a pending approval matches the filters (all given ones must hold). */
export function matchesInbox(p: PendingApproval, q: z.output<typeof InboxQuery>, actor: Actor, nowMs: number): boolean {
  if (q.workflow !== undefined && p.workflowSlug !== q.workflow) return false;
  if (q.step !== undefined && p.nodeId !== q.step) return false;
  if (q.olderThanMs !== undefined && Date.parse(p.requestedAt) > nowMs - q.olderThanMs) return false;
  if (q.assignedToMe && !rolesAllow(actor.roles, p.role)) return false;
  if (q.search) {
    const text = [p.intent, p.workflowSlug, p.nodeId, p.role, p.instructions, p.startedBy, p.runId].filter(Boolean).join('\n').toLowerCase();
    if (!q.search.toLowerCase().split(/\s+/).every((w) => text.includes(w))) return false;
  }
  return true;
}

export type ApprovalDetail = {
  approvalId: string;
  nodeId: string;
  label: string;
  role: string;
  instructions: string | null;
  dueAt: string | null;
  onLapse: 'approve' | 'reject' | 'fail' | 'escalate';
  requiredApprovals: number;
  allowRequester: boolean;
  status: ApprovalStatus;
  decisions: Vote[];
  canDecide: boolean;
  whyNot: WhyNot;
  run: {
    id: string; workflowId: string; workflowSlug: string; workflowName: string; version: number;
    status: 'running' | 'completed' | 'failed' | 'cancelled'; intent: string | null; startedBy: string; startedAt: string; input: Json;
  };
  envelope: Envelope;
  path: PathStep[];
  outcomes: ApprovalOutcomes;
};

/**
 * Whether `actor` may decide an approval: the engine's rule (`mayDecide`), answered for the whole way to
 * the button, so the door (the approver role at all) is checked too.
 * @example whyNotDecide(auditor, view) // 'auth.forbidden'
 */
export function whyNotDecide(actor: Actor, a: ApprovalView): WhyNot {
  const may = mayDecide(a, { name: actor.name, roles: actor.roles, atTheDoor: true });
  return may.ok ? null : may.code;
}

/** The rule's view of a pending approval of the inbox's rows (pending, its run running). */
function pendingView(p: PendingApproval): ApprovalView {
  return {
    approvalId: p.approvalId, role: p.role, status: 'pending', runStatus: 'running', allowRequester: p.allowRequester, startedBy: p.startedBy, votes: p.decisions,
    excluded: (p.excluded ?? []).map((actor) => ({ actor })),
  };
}

/** The run id inside an approval id (`<runId>:<nodeId>`). */
export function runIdOf(approvalId: string): string {
  return approvalId.slice(0, Math.max(0, approvalId.lastIndexOf(':')));
}

export function createApprovalInbox(deps: { engine: EngineService; spine: Spine; now?: () => number }) {
  const { engine, spine } = deps;
  const now = deps.now ?? Date.now;

  async function fold(approvalId: string) {
    const runId = runIdOf(approvalId);
    const f = runId ? await engine.fold(runId) : null;
    const a = f?.state.approvals[approvalId];
    if (!f || !a) throw new NotFoundError('approval.not_found', `No approval '${approvalId}'`, { approvalId });
    return { state: f.state, approval: a, node: f.wf.nodes.get(a.nodeId) };
  }

  return {
    /**
     * One page of the pending approvals that match the filters, each marked with whether `actor` may
     * decide it, with the filter choices and counts over all pages.
     * @example const first = await inbox.list(actor, { limit: 25 }); await inbox.list(actor, { cursor: first.nextCursor })
     */
    async list(actor: Actor, raw: InboxQuery = {}): Promise<Inbox> {
      const parsed = InboxQuery.safeParse(raw);
      if (!parsed.success) throw new ValidationError('approvals.invalid_query', parsed.error.issues[0]!.message, { issues: parsed.error.issues.slice(0, 5) });
      const q = parsed.data;
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      // Read the head first: an approval requested after this point arrives through the live stream.
      const head = await spine.head();
      const pending = await engine.pendingApprovals();
      const t = now();
      const workflows = new Map<string, number>();
      const steps = new Map<string, { workflowSlug: string; nodeId: string; count: number }>();
      for (const p of pending) {
        workflows.set(p.workflowSlug, (workflows.get(p.workflowSlug) ?? 0) + 1);
        const k = `${p.workflowSlug}\u0000${p.nodeId}`;
        const s = steps.get(k) ?? { workflowSlug: p.workflowSlug, nodeId: p.nodeId, count: 0 };
        s.count++;
        steps.set(k, s);
      }
      const matching: InboxItem[] = [];
      for (const p of pending) {
        if (!matchesInbox(p, q, actor, t)) continue;
        const whyNot = whyNotDecide(actor, pendingView(p));
        matching.push({ ...p, canDecide: whyNot === null, whyNot });
      }
      matching.sort((x, y) => before(sortKey(x), sortKey(y)));
      const from = after ? matching.findIndex((a) => before(sortKey(a), after) > 0) : 0;
      const rest = from < 0 ? [] : matching.slice(from);
      const approvals = rest.slice(0, q.limit);
      return {
        head,
        approvals,
        nextCursor: rest.length > q.limit ? encodeCursor(approvals[approvals.length - 1]!) : null,
        total: matching.length,
        decidable: matching.filter((a) => a.canDecide).length,
        facets: {
          workflows: [...workflows].map(([slug, count]) => ({ slug, count })).sort((a, b) => a.slug.localeCompare(b.slug)),
          steps: [...steps.values()].sort((a, b) => a.workflowSlug.localeCompare(b.workflowSlug) || a.nodeId.localeCompare(b.nodeId)),
        },
      };
    },

    /** One approval (pending or closed) with its run's context and the workflow's outcomes. */
    async get(approvalId: string, actor: Actor): Promise<ApprovalDetail> {
      const { state, approval: a, node } = await fold(approvalId);
      const [wf, events, envelope] = await Promise.all([
        engine.workflows.getVersion(state.workflowId, state.version),
        engine.runEvents(state.runId),
        spine.envelope(state.runId),
      ]);
      const cfg = node?.kind === 'approval' ? node.config : null;
      const whyNot = whyNotDecide(actor, approvalView(state, approvalId)!);
      return {
        approvalId, nodeId: a.nodeId, label: node?.label?.trim() || a.nodeId, role: a.role, instructions: cfg?.instructions ?? null, dueAt: a.dueAt,
        onLapse: cfg?.onLapse ?? 'fail', requiredApprovals: a.requiredApprovals, allowRequester: a.allowRequester, status: a.status, decisions: a.decisions,
        canDecide: whyNot === null, whyNot,
        run: {
          id: state.runId, workflowId: state.workflowId, workflowSlug: state.slug, workflowName: wf.name, version: state.version, status: state.status,
          intent: state.intent, startedBy: state.startedBy, startedAt: state.startedAt, input: state.input,
        },
        envelope,
        path: stepsSoFar(events, wf.document),
        outcomes: approvalOutcomes(wf.document, a.nodeId),
      };
    },
  };
}
export type ApprovalInbox = ReturnType<typeof createApprovalInbox>;

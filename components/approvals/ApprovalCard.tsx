'use client';
/**
 * One approval: what the run wants (intent), its envelope and input as JSON text, the path so far, what
 * approve and reject lead to, the SLA, and — for someone who may decide — approve or reject with a
 * comment. A card whose approval closed while it was on screen says who decided it. A decision that
 * loses a race is refused by the server (409) and its message is shown; the card then updates itself.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { Badge, type BadgeTone, Button, Card, cn, ErrorNote, Skeleton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { ApprovalDetail, InboxItem, WhyNot } from '@/server/approvals';
import { JsonBlock } from './JsonBlock';
import { Outcomes } from './Outcomes';
import { PathSoFar } from './PathSoFar';
import { SlaCountdown } from './SlaCountdown';

function whyNotText(why: WhyNot, role: string): string | null {
  switch (why) {
    case null:
      return null;
    case 'auth.forbidden':
      return 'Read only: deciding needs the approver role.';
    case 'approval.wrong_role':
      return `Only people with the ${role} role may decide this.`;
    case 'approval.requester':
      return 'You started this run, and its requester may not decide it.';
    case 'approval.already_decided_by_actor':
      return 'You have decided; it waits for another approver.';
    case 'approval.already_decided':
      return 'This approval is closed.';
    case 'approval.four_eyes':
      return 'You approved an earlier step of this run: a second person must decide this one (four eyes).';
  }
}

type Closure = { state: 'approved' | 'rejected' | 'closed'; text: string; tone: BadgeTone };

function closureOf(d: ApprovalDetail | undefined, me: string): Closure {
  if (!d) return { state: 'closed', text: 'Closed', tone: 'neutral' };
  if (d.status === 'pending') return { state: 'closed', text: `Closed: the run ${d.run.status}`, tone: 'neutral' };
  const deciding = d.decisions.filter((x) => x.decision === (d.status === 'approved' ? 'approve' : 'reject'));
  const verb = d.status === 'approved' ? 'Approved' : 'Rejected';
  const who = deciding.map((x) => (x.auto ? 'its SLA lapsing' : x.actor === me ? 'you' : x.actor)).join(', ') || 'someone';
  const comment = deciding.find((x) => x.comment)?.comment;
  return { state: d.status, text: `${verb} by ${who}${comment ? ` — “${comment}”` : ''}`, tone: d.status === 'approved' ? 'success' : 'danger' };
}

export function ApprovalCard({ item, open, me }: { item: InboxItem; open: boolean; me: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery(trpc.approvals.get.queryOptions({ approvalId: item.approvalId }, { staleTime: Infinity, refetchOnWindowFocus: false }));
  const [comment, setComment] = useState('');
  const commentId = useId();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.approvals.inbox.infiniteQueryFilter()),
      queryClient.invalidateQueries(trpc.approvals.get.queryFilter({ approvalId: item.approvalId })),
    ]);
  const decide = useMutation(trpc.approvals.decide.mutationOptions({ onSettled: refresh }));

  const d = detail.data;
  const canDecide = open && (d ? d.canDecide : item.canDecide);
  const why = whyNotText(d ? d.whyNot : item.whyNot, item.role);
  const closure = open ? null : closureOf(d, me);
  const decisions = d?.decisions ?? item.decisions;
  const label = d?.label ?? item.nodeId;

  return (
    <Card
      data-testid="approval-card"
      data-approval-id={item.approvalId}
      data-run-id={item.runId}
      data-state={closure ? closure.state : 'pending'}
      aria-label={`${label}: ${item.workflowSlug}`}
      className={cn('overflow-hidden', closure && 'opacity-90')}
    >
      <header className="flex flex-wrap items-start gap-x-3 gap-y-2 border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
        <div className="min-w-0 flex-1">
          <h3 className="text-sm font-semibold tracking-tight">
            {label} <span className="font-normal text-zinc-500 dark:text-zinc-400">· {d ? `${d.run.workflowName} v${d.run.version}` : item.workflowSlug}</span>
          </h3>
          <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">
            Run <span className="font-mono">{item.runId.slice(0, 8)}</span> started by {item.startedBy}
            {d ? ` at ${new Date(d.run.startedAt).toLocaleString()}` : ''} · needs {item.role}
            {item.requiredApprovals > 1 ? ` · ${decisions.filter((x) => x.decision === 'approve').length} of ${item.requiredApprovals} approvals` : ''}
          </p>
        </div>
        <div className="flex items-center gap-2">
          {closure ? (
            <Badge data-testid="approval-closed" tone={closure.tone}>
              {closure.state === 'closed' ? 'Closed' : closure.state === 'approved' ? 'Approved' : 'Rejected'}
            </Badge>
          ) : (
            <SlaCountdown dueAt={item.dueAt} onLapse={d?.onLapse ?? null} />
          )}
          <Link href={`/runs/${encodeURIComponent(item.runId)}`} className="text-xs font-medium text-indigo-600 hover:underline dark:text-indigo-400">
            Open run
          </Link>
        </div>
      </header>

      <div className="space-y-4 px-5 py-4">
        {closure && (
          <p data-testid="approval-closed-by" role="status" className="rounded-md bg-zinc-100 px-3 py-2 text-sm dark:bg-zinc-800">
            {closure.text}
          </p>
        )}

        <div>
          <p className="text-xs font-medium text-zinc-500 uppercase dark:text-zinc-400">Intent</p>
          <p data-testid="approval-intent" className="mt-0.5 text-sm whitespace-pre-wrap">
            {item.intent ?? <span className="text-zinc-500 italic dark:text-zinc-400">No intent given</span>}
          </p>
          {item.instructions && !closure && <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-300">{item.instructions}</p>}
        </div>

        {open && decisions.length > 0 && (
          <p className="text-sm text-zinc-600 dark:text-zinc-300">
            So far: {decisions.map((x) => `${x.actor === me ? 'you' : x.actor} ${x.decision === 'approve' ? 'approved' : 'rejected'}`).join(', ')}
          </p>
        )}

        {closure ? null : detail.isPending ? (
          <div className="space-y-2" aria-busy="true" aria-label="Loading the run's context">
            <Skeleton className="h-4 w-2/3" />
            <Skeleton className="h-4 w-1/2" />
          </div>
        ) : detail.isError ? (
          <ErrorNote error={detail.error} context="Could not load the run's context" />
        ) : d && !closure ? (
          <>
            <section aria-label="Reasoning path so far">
              <p className="mb-2 text-xs font-medium text-zinc-500 uppercase dark:text-zinc-400">Path so far</p>
              <PathSoFar steps={d.path} />
            </section>
            <div className="grid gap-3 sm:grid-cols-2">
              <Outcomes title="On approve" steps={d.outcomes.approved} tone="approve" testId="approval-outcome-approved" />
              <Outcomes title="On reject" steps={d.outcomes.rejected} tone="reject" testId="approval-outcome-rejected" />
            </div>
            <details className="group">
              <summary className="cursor-pointer text-xs font-medium text-zinc-500 uppercase select-none dark:text-zinc-400">Envelope and input</summary>
              <div className="mt-2 grid gap-3 lg:grid-cols-2">
                <div>
                  <p className="mb-1 text-xs text-zinc-500 dark:text-zinc-400">Envelope (version {d.envelope.version})</p>
                  <JsonBlock
                    label="Envelope"
                    testId="approval-envelope"
                    value={{ intent: d.envelope.intent, constraints: d.envelope.constraints, deadline: d.envelope.deadline, state: d.envelope.state }}
                  />
                </div>
                <div>
                  <p className="mb-1 text-xs text-zinc-500 dark:text-zinc-400">Run input</p>
                  <JsonBlock label="Run input" testId="approval-input" value={d.run.input} />
                </div>
              </div>
            </details>
          </>
        ) : null}

        {canDecide ? (
          <form
            className="space-y-2 border-t border-zinc-200 pt-4 dark:border-zinc-800"
            onSubmit={(e) => e.preventDefault()}
            aria-label={`Decide ${label}`}
          >
            <label htmlFor={commentId} className="block text-sm font-medium">
              Comment <span className="font-normal text-zinc-500 dark:text-zinc-400">(recorded with your decision)</span>
            </label>
            <textarea
              id={commentId}
              data-testid="approval-comment"
              value={comment}
              maxLength={2000}
              rows={2}
              onChange={(e) => setComment(e.target.value)}
              className="block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm shadow-xs outline-none focus-visible:border-indigo-500 focus-visible:ring-2 focus-visible:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900"
            />
            {decide.isError && <ErrorNote testId="approval-decision-error" error={decide.error} />}
            <div className="flex gap-2">
              <Button
                variant="primary"
                disabled={decide.isPending || decide.isSuccess}
                onClick={() => decide.mutate({ approvalId: item.approvalId, decision: 'approve', ...(comment.trim() && { comment: comment.trim() }) })}
              >
                Approve
              </Button>
              <Button
                className="border-rose-300 text-rose-700 hover:bg-rose-50 dark:border-rose-900 dark:text-rose-300 dark:hover:bg-rose-950/40"
                disabled={decide.isPending || decide.isSuccess}
                onClick={() => decide.mutate({ approvalId: item.approvalId, decision: 'reject', ...(comment.trim() && { comment: comment.trim() }) })}
              >
                Reject
              </Button>
            </div>
          </form>
        ) : (
          <>
            {decide.isError && <ErrorNote testId="approval-decision-error" error={decide.error} />}
            {open && why && (
              <p data-testid="approval-readonly" data-reason={d ? d.whyNot : item.whyNot} className="border-t border-zinc-200 pt-3 text-sm text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
                {why}
              </p>
            )}
          </>
        )}
      </div>
    </Card>
  );
}

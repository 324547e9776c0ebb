'use client';
/**
 * `/approvals`: pending approvals, split into those the signed-in person may decide and the rest (read
 * only), plus any that closed while the page was open. Pushed live; nothing polls.
 */
import type { ReactNode } from 'react';
import { ErrorNote } from '@/components/auth/Field';
import { useActor } from '@/components/auth/useActor';
import { Button } from '@/components/ui/Button';
import { Card, CardContent } from '@/components/ui/Card';
import { Skeleton } from '@/components/ui/Skeleton';
import { ConnectionStatus } from '@/components/timeline/ConnectionStatus';
import { ApprovalCard } from './ApprovalCard';
import { useApprovalsInbox, type InboxCard } from './useApprovalsInbox';

export function ApprovalsInbox() {
  const { actor, can, status } = useActor();
  if (status === 'loading') return <Loading />;
  if (!actor || !(can('approver') || can('auditor')))
    return (
      <Card>
        <CardContent data-testid="approvals-not-allowed" className="py-10 text-center text-sm text-zinc-600 dark:text-zinc-400">
          The approvals inbox is for approvers and auditors. Ask an admin for one of these roles.
        </CardContent>
      </Card>
    );
  return <Inbox me={actor.name} />;
}

function Inbox({ me }: { me: string }) {
  const { cards, status, error, retry, dismiss, loaded } = useApprovalsInbox();
  const mine = cards.filter((c) => c.open && c.item.canDecide);
  const others = cards.filter((c) => c.open && !c.item.canDecide);
  const closed = cards.filter((c) => !c.open);

  return (
    <div data-testid="approvals-inbox" data-loaded={loaded ? 'true' : 'false'} className="space-y-8">
      <div className="flex flex-wrap items-center gap-3">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {loaded ? `${mine.length} waiting for you · ${others.length} other pending` : 'Loading…'}
        </p>
        <span className="ml-auto" data-testid="approvals-live" data-state={status}>
          <ConnectionStatus status={status} />
        </span>
      </div>

      {error && (
        <div className="flex flex-wrap items-center gap-3">
          <div className="min-w-0 flex-1">
            <ErrorNote message={`${loaded ? 'Live updates stopped' : 'Could not load approvals'}: ${error.message}`} code={error.code} />
          </div>
          <Button size="sm" onClick={retry}>
            Try again
          </Button>
        </div>
      )}

      {!loaded && !error ? (
        <Loading />
      ) : (
        <>
          <Section title="Waiting for your decision" empty="Nothing waits for you. New approvals appear here the moment they are requested." cards={mine} me={me} testId="approvals-mine" />
          {others.length > 0 && <Section title="Other pending approvals" cards={others} me={me} testId="approvals-others" />}
          {closed.length > 0 && (
            <Section
              title="Closed while you were watching"
              cards={closed}
              me={me}
              testId="approvals-closed"
              action={
                <Button size="sm" variant="ghost" onClick={() => dismiss(closed.map((c) => c.item.approvalId))}>
                  Clear
                </Button>
              }
            />
          )}
        </>
      )}
    </div>
  );
}

function Section({ title, cards, me, empty, testId, action }: { title: string; cards: InboxCard[]; me: string; empty?: string; testId: string; action?: ReactNode }) {
  return (
    <section aria-label={title} data-testid={testId} className="space-y-3">
      <div className="flex items-center gap-2">
        <h2 className="text-sm font-semibold tracking-tight">{title}</h2>
        <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">{cards.length}</span>
        {action && <span className="ml-auto">{action}</span>}
      </div>
      {cards.length === 0 && empty ? (
        <p className="rounded-xl border border-dashed border-zinc-300 px-5 py-8 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">{empty}</p>
      ) : (
        cards.map((c) => <ApprovalCard key={c.item.approvalId} item={c.item} open={c.open} me={me} />)
      )}
    </section>
  );
}

function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading approvals" className="space-y-3">
      <Skeleton className="h-32 w-full rounded-xl" />
      <Skeleton className="h-32 w-full rounded-xl" />
    </div>
  );
}

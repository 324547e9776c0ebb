import type { PathStep } from '@/server/approvals';

/** The run's completed steps, in order: who did what, and what came out. */
export function PathSoFar({ steps }: { steps: readonly PathStep[] }) {
  if (steps.length === 0) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No steps completed yet.</p>;
  return (
    <ol data-testid="approval-path" className="space-y-2 border-l border-zinc-200 pl-4 dark:border-zinc-800">
      {steps.map((s) => (
        <li key={s.seq} data-testid="path-step" data-kind={s.kind} className="relative text-sm">
          <span aria-hidden className="absolute top-1.5 -left-[1.3rem] size-2 rounded-full bg-zinc-300 dark:bg-zinc-600" />
          <StepLine step={s} />
        </li>
      ))}
    </ol>
  );
}

function StepLine({ step: s }: { step: PathStep }) {
  switch (s.kind) {
    case 'agent':
      return (
        <div className="min-w-0">
          <p>
            <span className="font-medium">{s.label}</span>{' '}
            <span className="text-zinc-500 dark:text-zinc-400">
              · agent <span className="font-mono text-xs">{s.agent}</span> {s.outcome === 'failed' ? 'failed' : 'completed'}
              {s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}
            </span>
          </p>
          <p className="mt-0.5 truncate font-mono text-xs text-zinc-600 dark:text-zinc-400" title={s.summary}>
            {s.summary}
          </p>
        </div>
      );
    case 'route':
      return (
        <p>
          <span className="font-medium">{s.label}</span> <span className="text-zinc-500 dark:text-zinc-400">· took</span> {s.route}
        </p>
      );
    case 'approval':
      return (
        <p>
          <span className="font-medium">{s.label}</span>{' '}
          <span className="text-zinc-500 dark:text-zinc-400">· {s.decision === 'approve' ? 'approved' : 'rejected'} by</span> {s.auto ? 'its SLA lapsing' : s.actor}
          {s.comment ? <span className="text-zinc-600 dark:text-zinc-400"> — “{s.comment}”</span> : null}
        </p>
      );
    case 'context':
      return (
        <p>
          <span className="font-medium">Context updated</span> <span className="text-zinc-500 dark:text-zinc-400">by {s.actor}:</span>{' '}
          <span className="font-mono text-xs">{s.keys.join(', ') || '—'}</span>
        </p>
      );
  }
}

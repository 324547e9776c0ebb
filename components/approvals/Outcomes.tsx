import type { OutcomeStep } from '@/server/approvals';
import { cn } from '@/components/ui';

const KIND_WORDS: Record<OutcomeStep['kind'], string> = {
  trigger: 'trigger', agent: 'agent', fanOut: 'parallel branches', join: 'join', router: 'decision', approval: 'another approval',
  delay: 'wait', setContext: 'context update', end: 'end',
};

function describe(s: OutcomeStep): string {
  if (s.kind === 'agent') return s.detail ? `agent ${s.detail} runs` : 'an agent runs';
  if (s.kind === 'end') return s.detail === 'failure' ? 'the run ends as failed' : 'the run ends successfully';
  return KIND_WORDS[s.kind];
}

/** What the workflow does next after one button: the nodes behind its handle, through pass-through nodes. */
export function Outcomes({ title, steps, tone, testId }: { title: string; steps: readonly OutcomeStep[]; tone: 'approve' | 'reject'; testId: string }) {
  return (
    <div
      data-testid={testId}
      className={cn(
        'rounded-md border px-3 py-2.5',
        tone === 'approve' ? 'border-emerald-200 dark:border-emerald-900/60' : 'border-rose-200 dark:border-rose-900/60',
      )}
    >
      <p className={cn('text-xs font-semibold tracking-wide uppercase', tone === 'approve' ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400')}>
        {title}
      </p>
      {steps.length === 0 ? <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Nothing follows: this branch ends here.</p> : <StepList steps={steps} />}
    </div>
  );
}

function StepList({ steps }: { steps: readonly OutcomeStep[] }) {
  return (
    <ul className="mt-1 space-y-1 text-sm">
      {steps.map((s, i) => (
        <li key={`${s.nodeId}-${i}`}>
          {s.via && <span className="text-zinc-500 dark:text-zinc-400">{s.via === 'otherwise' ? 'otherwise' : `if ${s.via}`} → </span>}
          <span className="font-medium">{s.label}</span> <span className="text-zinc-500 dark:text-zinc-400">({describe(s)})</span>
          {s.next.length > 0 && (
            <div className="ml-3 border-l border-zinc-200 pl-3 dark:border-zinc-800">
              <StepList steps={s.next} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

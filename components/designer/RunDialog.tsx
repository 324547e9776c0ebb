'use client';
/**
 * Run: starts a run of the published version with an input, an intent, constraints and a deadline, then
 * goes to the run's live view; or forks a recorded run with that version (ForkRecentRun). The form parses the JSON fields itself and says what is wrong before
 * anything is sent; the key of one form submission is fixed, so a double click starts one run.
 */
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Button, denseInputClass, errorMessage, Field, Modal } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { ForkRecentRun } from './ForkRecentRun';

type Props = { open: boolean; onClose: () => void; workflowId: string; publishedVersion: number | null; draftChanged: boolean };

function parseJson(text: string, what: string, object: boolean): { value?: unknown; error?: string } {
  if (!text.trim()) return { value: undefined };
  try {
    const v: unknown = JSON.parse(text);
    if (object && (v === null || typeof v !== 'object' || Array.isArray(v))) return { error: `${what} must be a JSON object` };
    return { value: v };
  } catch (e) {
    return { error: `${what} is not valid JSON: ${(e as Error).message}` };
  }
}

export function RunDialog({ open, onClose, workflowId, publishedVersion, draftChanged }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const [input, setInput] = useState('{\n  "facts": "GDPR complaint about a subsidiary"\n}');
  const [intent, setIntent] = useState('');
  const [constraints, setConstraints] = useState('');
  const [deadline, setDeadline] = useState('');
  const [key, setKey] = useState('');
  useEffect(() => {
    if (open) setKey(crypto.randomUUID());
  }, [open]);
  const start = useMutation(
    trpc.workflows.startRun.mutationOptions({
      onSuccess: ({ runId }) => {
        onClose();
        router.push(`/runs/${runId}`);
      },
    }),
  );
  const parsedInput = parseJson(input, 'Input', false);
  const parsedConstraints = parseJson(constraints, 'Constraints', true);
  const deadlineIso = deadline ? new Date(deadline).toISOString() : undefined;
  const deadlineError = deadline && Number.isNaN(new Date(deadline).getTime()) ? 'Not a date' : deadline && new Date(deadline).getTime() < Date.now() ? 'The deadline is in the past' : null;
  const invalid = !!(parsedInput.error || parsedConstraints.error || deadlineError);

  return (
    <Modal
      open={open}
      onClose={onClose}
      data-testid="run-dialog"
      title={publishedVersion ? `Run version ${publishedVersion}` : 'Run'}
      description={draftChanged && publishedVersion ? 'The draft has unpublished changes: this run uses the published version.' : 'Starts a run and opens its live view.'}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant="primary"
            data-testid="run-start"
            disabled={invalid || start.isPending || !publishedVersion}
            onClick={() =>
              start.mutate({
                id: workflowId,
                input: (parsedInput.value ?? {}) as never,
                ...(intent.trim() && { intent: intent.trim() }),
                ...(parsedConstraints.value !== undefined && { constraints: parsedConstraints.value as Record<string, never> }),
                ...(deadlineIso && { deadline: deadlineIso }),
                idempotencyKey: key,
              })
            }
          >
            {start.isPending ? 'Starting…' : 'Start run'}
          </Button>
        </>
      }
    >
      {!publishedVersion ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Publish the workflow first: runs start from a published version.</p>
      ) : (
        <div className="space-y-3">
          <Field dense label="Input (JSON)" error={parsedInput.error} hint="What the trigger hands to the first step: expressions read it as input.">
            <textarea aria-label="Input (JSON)" data-testid="run-input" value={input} onChange={(e) => setInput(e.target.value)} rows={6} spellCheck={false} className={`${denseInputClass} font-mono text-[12px]`} />
          </Field>
          <Field dense label="Intent" hint="What the run is for, in words; travels in the envelope to every agent.">
            <input aria-label="Intent" data-testid="run-intent" value={intent} onChange={(e) => setIntent(e.target.value)} maxLength={4000} className={denseInputClass} placeholder="Assess the case" />
          </Field>
          <Field dense label="Constraints (JSON object)" error={parsedConstraints.error} hint='e.g. { "budgetEur": 500, "jurisdiction": "EU" }'>
            <textarea aria-label="Constraints (JSON object)" value={constraints} onChange={(e) => setConstraints(e.target.value)} rows={2} spellCheck={false} className={`${denseInputClass} font-mono text-[12px]`} />
          </Field>
          <Field dense label="Deadline" error={deadlineError} hint="Optional. The run fails if it is still going then.">
            <input aria-label="Deadline" type="datetime-local" value={deadline} onChange={(e) => setDeadline(e.target.value)} className={denseInputClass} />
          </Field>
          {start.error && (
            <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
              {errorMessage(start.error)}
            </p>
          )}
          {open && <ForkRecentRun workflowId={workflowId} publishedVersion={publishedVersion} onDone={onClose} />}
        </div>
      )}
    </Modal>
  );
}

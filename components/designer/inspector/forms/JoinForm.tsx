'use client';
import { DurationField, NumberField, Segmented, SelectField } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function JoinForm({ id, config, fieldProblems }: FormProps<'join'>) {
  const f = useConfigForm(id, 'join', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  const mode = (f.draft.mode ?? 'all') as 'all' | 'any' | 'quorum';
  return (
    <div className="space-y-3">
      <Segmented
        label="Continue when"
        testId="join-mode"
        value={mode}
        options={[
          { value: 'all', label: 'All arrived' },
          { value: 'any', label: 'First arrived' },
          { value: 'quorum', label: 'A quorum' },
        ]}
        onChange={(m) => f.set({ mode: m, quorum: m === 'quorum' ? (f.draft.quorum ?? 2) : undefined }, 'mode')}
      />
      {mode === 'quorum' && <NumberField label="Quorum" min={1} value={f.draft.quorum as number | undefined} onChange={(quorum) => f.set({ quorum }, 'quorum')} error={err('quorum')} hint="Inputs (after a map fan-out: items) needed before continuing. Failed branches count against it; when it cannot be reached, the join fails by its error output." />}
      <DurationField label="Timeout" optional value={config.timeoutMs} onChange={(timeoutMs) => f.set({ timeoutMs }, 'timeoutMs')} error={err('timeoutMs')} hint="Counted from the start of the fan-out. Empty: wait forever." />
      {f.draft.timeoutMs !== undefined && (
        <SelectField
          label="On timeout"
          value={(f.draft.onTimeout ?? 'fail') as 'fail' | 'continue'}
          onChange={(onTimeout) => f.set({ onTimeout }, 'onTimeout')}
          options={[
            { value: 'fail', label: 'Fail the run' },
            { value: 'continue', label: 'Continue with what arrived' },
          ]}
        />
      )}
    </div>
  );
}

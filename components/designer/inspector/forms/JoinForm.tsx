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
      {mode === 'quorum' && <NumberField label="Quorum" min={1} value={f.draft.quorum as number | undefined} onChange={(quorum) => f.set({ quorum }, 'quorum')} error={err('quorum')} hint="Inputs needed before continuing." />}
      <DurationField label="Timeout" optional value={config.timeoutMs} onChange={(timeoutMs) => f.set({ timeoutMs }, 'timeoutMs')} error={err('timeoutMs')} hint="Counted from the first arrival. Empty: wait forever." />
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

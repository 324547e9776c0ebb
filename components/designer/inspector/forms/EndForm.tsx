'use client';
import { MappingEditor } from '../MappingEditor';
import { Segmented } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function EndForm({ id, config, fieldProblems }: FormProps<'end'>) {
  const f = useConfigForm(id, 'end', config);
  const errorsByKey = Object.fromEntries(Object.entries(fieldProblems).filter(([k]) => k.startsWith('output.')).map(([k, v]) => [k.slice('output.'.length), v]));
  return (
    <div className="space-y-3">
      <Segmented
        label="The run ends in"
        value={(f.draft.outcome ?? 'success') as 'success' | 'failure'}
        options={[
          { value: 'success', label: 'Success' },
          { value: 'failure', label: 'Failure' },
        ]}
        onChange={(outcome) => f.set({ outcome }, 'outcome')}
      />
      <MappingEditor label="Output" value={f.draft.output as Record<string, string> | undefined} onChange={(output) => f.set({ output }, 'output')} emptyHint="No mapping: the run's output is every node's result." errorsByKey={errorsByKey} />
    </div>
  );
}

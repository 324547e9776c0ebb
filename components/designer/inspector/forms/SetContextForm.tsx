'use client';
import { MappingEditor } from '../MappingEditor';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function SetContextForm({ id, config, fieldProblems }: FormProps<'setContext'>) {
  const f = useConfigForm(id, 'setContext', config);
  const errorsByKey = Object.fromEntries(Object.entries(fieldProblems).filter(([k]) => k.startsWith('patch.')).map(([k, v]) => [k.slice('patch.'.length), v]));
  return (
    <div className="space-y-2">
      <MappingEditor label="Set in state" keyPrefix="state." value={f.draft.patch as Record<string, string>} onChange={(patch) => f.set({ patch: patch ?? {} }, 'patch')} emptyHint="Add at least one key to set." errorsByKey={errorsByKey} />
      {fieldProblems.patch && <p className="text-xs text-rose-600 dark:text-rose-400">{fieldProblems.patch}</p>}
    </div>
  );
}

'use client';
import { ON_LAPSE } from '@/server/workflows/schema';
import { CheckboxField, DurationField, NumberField, SelectField, TextField } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

const LAPSE: Record<(typeof ON_LAPSE)[number], string> = { approve: 'Approve', reject: 'Reject', fail: 'Fail the run' };

export function ApprovalForm({ id, config, fieldProblems }: FormProps<'approval'>) {
  const f = useConfigForm(id, 'approval', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  return (
    <div className="space-y-3">
      <TextField label="Role that decides" mono value={String(f.draft.role ?? '')} onChange={(role) => f.set({ role }, 'role')} error={err('role')} testId="approval-role" />
      <TextField label="Instructions for the approver" multiline value={String(f.draft.instructions ?? '')} onChange={(v) => f.set({ instructions: v || undefined }, 'instructions')} error={err('instructions')} />
      <DurationField label="SLA" optional value={config.slaMs} onChange={(slaMs) => f.set({ slaMs }, 'slaMs')} error={err('slaMs')} hint="Time allowed for a decision. Empty: no deadline." testId="approval-sla" />
      <SelectField label="When the SLA lapses" value={(f.draft.onLapse ?? 'fail') as (typeof ON_LAPSE)[number]} onChange={(onLapse) => f.set({ onLapse }, 'onLapse')} options={ON_LAPSE.map((v) => ({ value: v, label: LAPSE[v] }))} />
      <NumberField label="Approvals needed" min={1} max={5} value={f.draft.requiredApprovals as number | undefined} onChange={(requiredApprovals) => f.set({ requiredApprovals }, 'requiredApprovals')} error={err('requiredApprovals')} />
      <CheckboxField label="The requester may approve" checked={!!f.draft.allowRequester} onChange={(allowRequester) => f.set({ allowRequester }, 'allowRequester')} />
    </div>
  );
}

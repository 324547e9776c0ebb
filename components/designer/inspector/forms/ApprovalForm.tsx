'use client';
import { useShallow } from 'zustand/react/shallow';
import { APPROVAL_ROLES, ON_LAPSE } from '@/server/workflows/schema';
import { useDesignerStore } from '../../store';
import { CheckboxField, DurationField, NumberField, SelectField, TextField } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';
import { Field } from '@/components/ui';

const LAPSE: Record<(typeof ON_LAPSE)[number], string> = { approve: 'Approve', reject: 'Reject', fail: 'Fail the run', escalate: 'Escalate to another role' };
type ApprovalRole = (typeof APPROVAL_ROLES)[number];
const ROLE_OPTIONS = APPROVAL_ROLES.map((r) => ({ value: r, label: r }));

export function ApprovalForm({ id, config, fieldProblems }: FormProps<'approval'>) {
  const f = useConfigForm(id, 'approval', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  // The other approvals of the workflow: whoever approved one of the ticked ones may not decide this one.
  const others = useDesignerStore(useShallow((s) => s.nodes.filter((n) => n.type === 'approval' && n.id !== id).map((n) => `${n.id}\u0000${(n.data as { label?: string }).label ?? ''}`)));
  const distinctFrom = (f.draft.distinctFrom ?? []) as string[];
  const onLapse = (f.draft.onLapse ?? 'fail') as (typeof ON_LAPSE)[number];
  return (
    <div className="space-y-3">
      <SelectField label="Role that decides" value={(f.draft.role ?? 'approver') as ApprovalRole} onChange={(role) => f.set({ role }, 'role')} error={err('role')} options={ROLE_OPTIONS} testId="approval-role" hint="Admins may always decide." />
      <TextField label="Instructions for the approver" multiline value={String(f.draft.instructions ?? '')} onChange={(v) => f.set({ instructions: v || undefined }, 'instructions')} error={err('instructions')} />
      <DurationField label="SLA" optional value={config.slaMs} onChange={(slaMs) => f.set({ slaMs }, 'slaMs')} error={err('slaMs')} hint="Time allowed for a decision. Empty: no deadline." testId="approval-sla" />
      <SelectField
        label="When the SLA lapses"
        testId="approval-on-lapse"
        value={onLapse}
        onChange={(v) => f.set(v === 'escalate' ? { onLapse: v, escalateTo: (f.draft.escalateTo as ApprovalRole | undefined) ?? 'admin' } : { onLapse: v, escalateTo: undefined, escalationSlaMs: undefined }, 'onLapse')}
        options={ON_LAPSE.map((v) => ({ value: v, label: LAPSE[v] }))}
      />
      {onLapse === 'escalate' && (
        <>
          <SelectField label="Escalate to" testId="approval-escalate-to" value={(f.draft.escalateTo ?? 'admin') as ApprovalRole} onChange={(escalateTo) => f.set({ escalateTo }, 'escalateTo')} error={err('escalateTo')} options={ROLE_OPTIONS} hint="The approval is re-assigned to this role; the inbox shows it there." />
          <DurationField label="Escalation SLA" optional value={config.escalationSlaMs} onChange={(escalationSlaMs) => f.set({ escalationSlaMs }, 'escalationSlaMs')} error={err('escalationSlaMs')} hint="Time the escalated role has; then the run fails. Empty: no deadline." />
        </>
      )}
      <NumberField label="Approvals needed" min={1} max={5} value={f.draft.requiredApprovals as number | undefined} onChange={(requiredApprovals) => f.set({ requiredApprovals }, 'requiredApprovals')} error={err('requiredApprovals')} />
      <CheckboxField label="The requester may approve" checked={!!f.draft.allowRequester} onChange={(allowRequester) => f.set({ allowRequester }, 'allowRequester')} />
      {others.length > 0 && (
        <Field dense label="Four eyes: not decided by whoever approved" error={err('distinctFrom')}>
          <div className="space-y-1" data-testid="approval-distinct-from">
            {others.map((o) => {
              const [nodeId, label] = o.split('\u0000') as [string, string];
              return (
                <CheckboxField
                  key={nodeId}
                  label={label ? `${label} (${nodeId})` : nodeId}
                  checked={distinctFrom.includes(nodeId)}
                  onChange={(on) => {
                    const next = on ? [...distinctFrom, nodeId] : distinctFrom.filter((x) => x !== nodeId);
                    f.set({ distinctFrom: next.length ? next : undefined }, 'distinctFrom');
                  }}
                />
              );
            })}
          </div>
        </Field>
      )}
    </div>
  );
}

'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatDuration } from '@/server/workflows/schema';
import type { ApprovalNode as ApprovalFlowNode } from '../graph';
import { Code, NodeShell, type OutputPort } from './NodeShell';

const OUTPUTS: OutputPort[] = [
  { id: 'approved', label: 'approved', tone: 'success' },
  { id: 'rejected', label: 'rejected', tone: 'danger' },
];

/** A human gate: who decides, within what SLA, and what a lapse decides. */
export const ApprovalNode = memo(function ApprovalNode({ id, data, selected }: NodeProps<ApprovalFlowNode>) {
  const c = data.config;
  return (
    <NodeShell id={id} kind="approval" selected={selected} label={data.label} outputs={OUTPUTS}>
      <div className="truncate">
        Role <Code>{c.role}</Code>
        {c.requiredApprovals > 1 && <> · {c.requiredApprovals} approvals</>}
      </div>
      <div className="text-[10px] text-zinc-500">
        {c.slaMs === undefined ? 'No SLA' : c.onLapse === 'escalate' ? `SLA ${formatDuration(c.slaMs)}, then escalate to ${c.escalateTo ?? '?'}` : `SLA ${formatDuration(c.slaMs)}, then ${c.onLapse}`}
        {c.distinctFrom?.length ? <> · four eyes</> : null}
      </div>
    </NodeShell>
  );
});

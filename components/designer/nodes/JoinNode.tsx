'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatDuration } from '@/server/workflows/schema';
import type { JoinNode as JoinFlowNode } from '../graph';
import { useDesignerStore } from '../store';
import { NodeShell, type OutputPort } from './NodeShell';

const OUTPUTS: OutputPort[] = [
  { id: 'default', label: 'joined' },
  { id: 'error', label: 'error', tone: 'danger', title: 'Taken when the quorum can no longer be reached, or on a timeout that fails' },
];

/** Where branches meet: waits for all, the first, or a quorum of its inputs (after a map fan-out: its items). */
export const JoinNode = memo(function JoinNode({ id, data, selected }: NodeProps<JoinFlowNode>) {
  const c = data.config;
  const inputs = useDesignerStore((s) => s.edges.reduce((n, e) => (e.target === id ? n + 1 : n), 0));
  // A join with one input collects a map fan-out's items (the validator refuses any other single-input join).
  const what = inputs === 1 ? 'items' : `${inputs} inputs`;
  const mode = c.mode === 'all' ? `Waits for all ${what}` : c.mode === 'any' ? `Continues with the first ${inputs === 1 ? 'item' : 'input'}` : `Waits for ${c.quorum ?? '?'} of ${what}`;
  // The error port only where it can be taken: a quorum that can become unreachable, or a failing timeout.
  const canFail = c.mode !== 'all' || (c.timeoutMs !== undefined && c.onTimeout === 'fail');
  return (
    <NodeShell id={id} kind="join" selected={selected} label={data.label} {...(canFail && { outputs: OUTPUTS })}>
      <div>{mode}</div>
      {c.timeoutMs !== undefined && (
        <div className="text-[10px] text-zinc-500">
          {formatDuration(c.timeoutMs)} timeout, then {c.onTimeout === 'fail' ? 'fail' : 'continue'}
        </div>
      )}
    </NodeShell>
  );
});

'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatDuration } from '@/server/workflows/schema';
import type { JoinNode as JoinFlowNode } from '../graph';
import { useDesignerStore } from '../store';
import { NodeShell } from './NodeShell';

/** Where branches meet: waits for all, the first, or a quorum of its inputs. */
export const JoinNode = memo(function JoinNode({ id, data, selected }: NodeProps<JoinFlowNode>) {
  const c = data.config;
  const inputs = useDesignerStore((s) => s.edges.reduce((n, e) => (e.target === id ? n + 1 : n), 0));
  const mode = c.mode === 'all' ? `Waits for all ${inputs} inputs` : c.mode === 'any' ? 'Continues with the first input' : `Waits for ${c.quorum ?? '?'} of ${inputs} inputs`;
  return (
    <NodeShell id={id} kind="join" selected={selected} label={data.label}>
      <div>{mode}</div>
      {c.timeoutMs !== undefined && (
        <div className="text-[10px] text-zinc-500">
          {formatDuration(c.timeoutMs)} timeout, then {c.onTimeout === 'fail' ? 'fail' : 'continue'}
        </div>
      )}
    </NodeShell>
  );
});

'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { FanOutNode as FanOutFlowNode } from '../graph';
import { useDesignerStore } from '../store';
import { Code, NodeShell } from './NodeShell';

/** Parallel branches: every outgoing edge at once, or one branch per item of a list. */
export const FanOutNode = memo(function FanOutNode({ id, data, selected }: NodeProps<FanOutFlowNode>) {
  const c = data.config;
  const branches = useDesignerStore((s) => s.edges.reduce((n, e) => (e.source === id ? n + 1 : n), 0));
  return (
    <NodeShell id={id} kind="fanOut" selected={selected} label={data.label}>
      {c.mode === 'static' ? (
        <div>
          {branches} branch{branches === 1 ? '' : 'es'} in parallel
        </div>
      ) : (
        <div className="truncate">
          Each item of <Code>{c.items}</Code> · {c.concurrency} at once
        </div>
      )}
    </NodeShell>
  );
});

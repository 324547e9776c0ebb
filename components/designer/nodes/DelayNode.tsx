'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatDuration } from '@/server/workflows/schema';
import type { DelayNode as DelayFlowNode } from '../graph';
import { Code, NodeShell } from './NodeShell';

/** A durable timer: for a duration or until an instant. */
export const DelayNode = memo(function DelayNode({ id, data, selected }: NodeProps<DelayFlowNode>) {
  const c = data.config;
  return (
    <NodeShell id={id} kind="delay" selected={selected} label={data.label}>
      {c.mode === 'duration' ? (
        <div>Waits {formatDuration(c.durationMs)}</div>
      ) : (
        <div className="truncate">
          Until <Code>{c.until}</Code>
        </div>
      )}
    </NodeShell>
  );
});

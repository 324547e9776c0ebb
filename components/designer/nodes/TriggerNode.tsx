'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { TriggerNode as TriggerFlowNode } from '../graph';
import { Code, NodeShell } from './NodeShell';

/** How a run starts: on an event type, by hand or API, or on a cron schedule. */
export const TriggerNode = memo(function TriggerNode({ id, data, selected }: NodeProps<TriggerFlowNode>) {
  const c = data.config;
  return (
    <NodeShell id={id} kind="trigger" selected={selected} label={data.label}>
      {c.mode === 'event' && (
        <div className="truncate">
          On event <Code>{c.eventType ?? '?'}</Code>
        </div>
      )}
      {c.mode === 'manual' && <div>By hand or through the API</div>}
      {c.mode === 'schedule' && (
        <div className="truncate">
          Schedule <Code>{c.cron ?? '?'}</Code> UTC
        </div>
      )}
    </NodeShell>
  );
});

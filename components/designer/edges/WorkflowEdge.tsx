'use client';
/**
 * An edge of the workflow: a curve from a port to an input, labelled with the port it leaves by when that
 * is not `default` (`error`, `approved`, a route by its label) and with its own label; red with its problems in the
 * tooltip when the validator names it. Labels are text, never HTML.
 */
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { cn } from '@/components/ui';
import { DEFAULT_HANDLE } from '@/server/workflows/schema';
import type { DesignerEdge } from '../graph';
import { portKey, useDecorations } from '../store';

export const WorkflowEdge = memo(function WorkflowEdge(props: EdgeProps<DesignerEdge>) {
  const { id, source, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, sourceHandleId, data, selected, markerEnd } = props;
  const problems = useDecorations((d) => d.edgeProblems[id]);
  const mark = useDecorations((d) => d.marks[`edge:${id}`]);
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const handle = sourceHandleId && sourceHandleId !== DEFAULT_HANDLE ? sourceHandleId : null;
  // A route is read by its label ("High risk"), its id only when it has none.
  const portLabel = useDecorations((d) => (handle ? d.portLabels[portKey(source, handle)] : undefined));
  const text = [portLabel ?? handle, data?.label].filter(Boolean).join(' · ');
  const tone = problems?.length ? 'problem' : mark === 'added' ? 'added' : mark === 'removed' ? 'removed' : handle === 'error' || handle === 'rejected' ? 'danger' : null;
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={cn('spine-edge', tone && `spine-edge-${tone}`, selected && 'spine-edge-selected')} />
      {(text || problems?.length) && (
        <EdgeLabelRenderer>
          <div
            data-testid="edge-label"
            title={problems?.map((p) => p.message).join('\n')}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            className={cn(
              'nodrag nopan pointer-events-auto absolute max-w-40 truncate rounded-md border px-1.5 py-0.5 text-[10px] font-medium shadow-xs',
              problems?.length
                ? 'border-rose-300 bg-rose-50 text-rose-700 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-300'
                : 'border-zinc-200 bg-white text-zinc-600 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-300',
            )}
          >
            {problems?.length ? `! ${text || 'invalid'}` : text}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});

export const edgeTypes = { workflow: WorkflowEdge };

'use client';
/**
 * A run drawn on its workflow: the canvas of the version the run started on, read-only, each node showing
 * its state (pending, running, waiting, done, failed, skipped) and edges into working nodes animated.
 * Give it the states as they arrive (the run page refetches them on each of the run's events); it
 * re-renders only the nodes whose state changed.
 *
 * @example <RunCanvas document={version.document} nodeStates={run.nodes} />
 */
import { useMemo } from 'react';
import type { RunView } from '@/server/engine';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { ReadOnlyCanvas } from './ReadOnlyCanvas';
import type { NodeRunState } from './store';

export type RunCanvasProps = {
  /** The document of the version the run started on. */
  document: WorkflowDocument;
  /** The run's nodes as `RunView['nodes']` (or any list of id + status). */
  nodeStates: ReadonlyArray<Pick<RunView['nodes'][number], 'id' | 'status'> & Partial<Pick<RunView['nodes'][number], 'attempts' | 'error'>>>;
  className?: string;
};

export function RunCanvas({ document, nodeStates, className }: RunCanvasProps) {
  const runStates = useMemo(() => {
    const out: Record<string, NodeRunState> = {};
    for (const n of nodeStates) out[n.id] = { status: n.status, ...(n.attempts !== undefined && { attempts: n.attempts }), ...(n.error !== undefined && { error: n.error }) };
    return out;
  }, [nodeStates]);
  // No minimap: on the run page's short canvas it covered nodes; the whole workflow is fitted anyway.
  return <ReadOnlyCanvas document={document} runStates={runStates} className={className} minimap={false} data-testid="run-canvas" />;
}

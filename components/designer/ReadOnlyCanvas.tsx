'use client';
/**
 * A canvas that shows a document without editing it: a published version, a diff against the draft, or a
 * run's node states. Same nodes and edges as the editor (one look everywhere), nothing draggable or
 * connectable. It owns a read-only designer store made from `document`; give it a new `key` for a new one.
 */
import '@xyflow/react/dist/style.css';
import './designer.css';
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { cn } from '@/components/ui';
import { edgeTypes } from './edges/WorkflowEdge';
import type { DesignerEdge, DesignerNode } from './graph';
import { KIND_LOOK } from './nodes/kindLook';
import { nodeTypes } from './nodes';
import { createDesignerStore, DesignerProvider, useDesignerStore, type DiffMark, type NodeRunState } from './store';
import { useColorMode } from './useColorMode';

export type ReadOnlyCanvasProps = {
  document: WorkflowDocument;
  /** Node states of a run, by node id. */
  runStates?: Readonly<Record<string, NodeRunState>>;
  /** Diff marks by node id, and by `edge:<id>` for edges. */
  marks?: Readonly<Record<string, DiffMark>>;
  className?: string;
  /** Draw the minimap (bottom right). @default true; a run's canvas, short and fitted, goes without. */
  minimap?: boolean;
  'data-testid'?: string;
};

export function ReadOnlyCanvas(props: ReadOnlyCanvasProps) {
  return (
    <ReactFlowProvider>
      <DesignerProvider create={() => createDesignerStore({ document: props.document, readOnly: true })}>
        <Inner {...props} />
      </DesignerProvider>
    </ReactFlowProvider>
  );
}

const minimapColor = (n: DesignerNode) => KIND_LOOK[n.type].minimap;
const ACTIVE = new Set(['running', 'waiting']);

function Inner({ runStates, marks, className, minimap = true, ...rest }: ReadOnlyCanvasProps) {
  const { nodes, edges, onNodesChange, onEdgesChange, setRunStates, setMarks } = useDesignerStore(
    useShallow((s) => ({ nodes: s.nodes, edges: s.edges, onNodesChange: s.onNodesChange, onEdgesChange: s.onEdgesChange, setRunStates: s.setRunStates, setMarks: s.setMarks })),
  );
  const colorMode = useColorMode();
  useEffect(() => setRunStates(runStates ?? {}), [runStates, setRunStates]);
  useEffect(() => setMarks(marks ?? {}), [marks, setMarks]);

  // Edges into a node that is working are animated, so the live path is visible.
  const shownEdges = useMemo(
    () => (runStates ? edges.map((e) => (ACTIVE.has(runStates[e.target]?.status ?? '') && runStates[e.source]?.status === 'done' ? { ...e, animated: true } : e)) : edges),
    [edges, runStates],
  );

  return (
    <div className={cn('spine-canvas relative h-full w-full', className)} data-testid={rest['data-testid']}>
      <ReactFlow<DesignerNode, DesignerEdge>
        nodes={nodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        nodesDraggable={false}
        nodesConnectable={false}
        deleteKeyCode={null}
        minZoom={0.1}
        maxZoom={2}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        colorMode={colorMode}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} />
        {minimap && <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} className="hidden md:block" />}
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

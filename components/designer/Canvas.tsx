'use client';
/**
 * The editable canvas. React Flow is controlled by the designer store: every change goes through the
 * store's handlers (history, validation, autosave), and `isValidConnection` asks the validator's
 * `canConnect`, so an invalid edge cannot be drawn; the reason shows while the line is dragged.
 * Kinds are dropped here from the palette (HTML drag and drop); a right click opens the add menu there.
 * A connection dropped on a node's body (not on its port) connects to that node: from an output port to its
 * input, from an input to its first free output port (`nodeUnder`, `onConnectEnd`).
 */
import '@xyflow/react/dist/style.css';
import './designer.css';
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useReactFlow, type Connection, type FinalConnectionState } from '@xyflow/react';
import { useCallback, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { NODE_KINDS, type NodeKind } from '@/server/workflows/schema';
import { edgeTypes } from './edges/WorkflowEdge';
import type { DesignerEdge, DesignerNode } from './graph';
import { KIND_LOOK } from './nodes/kindLook';
import { nodeTypes } from './nodes';
import { firstFreePort, useDesignerStore, useDesignerStoreApi } from './store';
import { useColorMode } from './useColorMode';

/** The drag-and-drop type palette items carry. */
export const KIND_DRAG_TYPE = 'application/x-spine-node-kind';
export const SNAP_GRID: [number, number] = [16, 16];

const isKind = (v: string): v is NodeKind => (NODE_KINDS as readonly string[]).includes(v);
const minimapColor = (n: DesignerNode) => KIND_LOOK[n.type].minimap;

/** The id of the node drawn under the pointer where a mouse or touch gesture ended, if any. */
function nodeUnder(e: MouseEvent | TouchEvent): string | null {
  const point = 'changedTouches' in e ? e.changedTouches[0] : e;
  if (!point) return null;
  const el = document.elementFromPoint(point.clientX, point.clientY)?.closest<HTMLElement>('.react-flow__node');
  return el?.dataset.id ?? null;
}

export function Canvas({ snap, onRequestAdd }: { snap: boolean; onRequestAdd: (at: { x: number; y: number }) => void }) {
  const { nodes, edges, onNodesChange, onEdgesChange, onConnect, isValidConnection, endConnection, addNode, connectionHint, readOnly } = useDesignerStore(
    useShallow((s) => ({
      nodes: s.nodes,
      edges: s.edges,
      onNodesChange: s.onNodesChange,
      onEdgesChange: s.onEdgesChange,
      onConnect: s.onConnect,
      isValidConnection: s.isValidConnection,
      endConnection: s.endConnection,
      addNode: s.addNode,
      connectionHint: s.connectionHint,
      readOnly: s.readOnly,
    })),
  );
  const { screenToFlowPosition } = useReactFlow();
  const colorMode = useColorMode();
  // Fit the view to what the workflow had when opened; on an empty canvas, the first drop must not move the view.
  const [fitOnOpen] = useState(() => nodes.length > 0);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(KIND_DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(KIND_DRAG_TYPE);
      if (!isKind(kind)) return;
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      // Centre the node under the pointer (nodes are 240 px wide, about 100 tall).
      addNode(kind, { x: Math.round((p.x - 120) / SNAP_GRID[0]) * SNAP_GRID[0], y: Math.round((p.y - 40) / SNAP_GRID[1]) * SNAP_GRID[1] });
    },
    [addNode, screenToFlowPosition],
  );

  const onPaneContextMenu = useCallback(
    (e: ReactMouseEvent | MouseEvent) => {
      e.preventDefault();
      onRequestAdd(screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [onRequestAdd, screenToFlowPosition],
  );

  const validate = useCallback((c: Connection | DesignerEdge) => isValidConnection(c), [isValidConnection]);

  const api = useDesignerStoreApi();
  const onConnectEnd = useCallback(
    (e: MouseEvent | TouchEvent, c: FinalConnectionState) => {
      endConnection();
      // Dropped on a port: React Flow has connected it (or refused it) already.
      if (readOnly || c.isValid !== null || !c.fromNode || !c.fromHandle) return;
      const onto = nodeUnder(e);
      if (!onto || onto === c.fromNode.id) return;
      if (c.fromHandle.type === 'source') {
        onConnect({ source: c.fromNode.id, sourceHandle: c.fromHandle.id ?? null, target: onto, targetHandle: null });
      } else {
        const handle = firstFreePort(api.getState().document(), onto, c.fromNode.id);
        if (handle !== null) onConnect({ source: onto, sourceHandle: handle, target: c.fromNode.id, targetHandle: null });
      }
    },
    [api, endConnection, onConnect, readOnly],
  );

  return (
    <div className="spine-canvas relative h-full w-full" onDragOver={onDragOver} onDrop={onDrop} data-testid="designer-canvas">
      <ReactFlow<DesignerNode, DesignerEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={validate}
        onPaneContextMenu={readOnly ? undefined : onPaneContextMenu}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        defaultEdgeOptions={{ type: 'workflow' }}
        snapToGrid={snap}
        snapGrid={SNAP_GRID}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control']}
        selectionKeyCode="Shift"
        minZoom={0.1}
        maxZoom={2}
        fitView={fitOnOpen}
        fitViewOptions={{ padding: { top: '8%', left: '8%', right: '8%', bottom: '190px' }, maxZoom: 1 }}
        colorMode={colorMode}
      >
        <Background variant={BackgroundVariant.Dots} gap={SNAP_GRID[0]} size={1.2} />
        <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} ariaLabel="Minimap" className="hidden sm:block" />
        <Controls showInteractive={false} aria-label="Zoom controls" />
      </ReactFlow>
      {connectionHint && (
        <div role="status" data-testid="connection-hint" className="pointer-events-none absolute top-3 left-1/2 z-10 max-w-md -translate-x-1/2 rounded-lg border border-rose-200 bg-rose-50 px-3 py-1.5 text-xs text-rose-800 shadow-sm dark:border-rose-900 dark:bg-rose-950 dark:text-rose-200">
          {connectionHint}
        </div>
      )}
      {nodes.length === 0 && (
        <div className="pointer-events-none absolute inset-0 grid place-items-center" data-testid="canvas-empty">
          <div className="max-w-sm rounded-xl border border-dashed border-zinc-300 bg-white/80 px-6 py-5 text-center text-sm text-zinc-500 backdrop-blur dark:border-zinc-700 dark:bg-zinc-900/80 dark:text-zinc-400">
            <p className="font-medium text-zinc-800 dark:text-zinc-200">An empty canvas</p>
            <p className="mt-1">
              Drag a step from the palette, or press <kbd className="rounded border border-zinc-300 px-1 font-mono text-xs dark:border-zinc-600">/</kbd> to add one. Start with a trigger.
            </p>
          </div>
        </div>
      )}
    </div>
  );
}

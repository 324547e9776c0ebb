/**
 * Copy and paste of nodes, within a workflow and between workflows (and browser tabs): the selection is
 * written to the system clipboard as JSON `{ type: 'spine/workflow-nodes', formatVersion, nodes, edges }`
 * and read back through zod, so pasting text from anywhere is safe. Edges travel when both their ends do.
 * Pasted nodes keep their ids when those are free in the target (`case-law` stays `case-law`), else get
 * the next free one (`agent-4`, `case-law-1`); expressions that name a renamed node are not rewritten.
 */
import { z } from 'zod';
import { WorkflowEdge, WorkflowNode, type WorkflowDocument } from '@/server/workflows/schema';
import { edgeIdFor, nextId } from './ids';

export const CLIPBOARD_TYPE = 'spine/workflow-nodes';

export const ClipboardPayload = z
  .object({
    type: z.literal(CLIPBOARD_TYPE),
    formatVersion: z.literal(1),
    /** The workflow it was copied from: pasting back into it offsets the copy instead of placing it. */
    from: z.string().max(128).optional(),
    nodes: z.array(WorkflowNode).min(1).max(1000),
    edges: z.array(WorkflowEdge).max(5000),
  })
  .strict();
export type ClipboardPayload = z.infer<typeof ClipboardPayload>;

/** The selected nodes and the edges between them; null when nothing is selected. */
export function copySelection(doc: WorkflowDocument, selected: ReadonlySet<string>, from?: string): ClipboardPayload | null {
  const nodes = doc.nodes.filter((n) => selected.has(n.id));
  if (!nodes.length) return null;
  const edges = doc.edges.filter((e) => selected.has(e.source) && selected.has(e.target));
  return { type: CLIPBOARD_TYPE, formatVersion: 1, ...(from !== undefined && { from }), nodes: structuredClone(nodes), edges: structuredClone(edges) };
}

export function serializeClipboard(p: ClipboardPayload): string {
  return JSON.stringify(p);
}

/** The payload in clipboard text, or null when the text is anything else. */
export function parseClipboard(text: string): ClipboardPayload | null {
  if (!text.includes(CLIPBOARD_TYPE)) return null;
  try {
    const r = ClipboardPayload.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * The nodes and edges to add to `doc` for a paste: fresh ids where needed, positions moved by `offset`
 * or so that the pasted group's top-left corner lands on `at`.
 */
export function pasteInto(doc: WorkflowDocument, p: ClipboardPayload, place: { offset: { x: number; y: number } } | { at: { x: number; y: number } }): { nodes: WorkflowNode[]; edges: WorkflowEdge[] } {
  const taken = new Set(doc.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of p.nodes) {
    const id = taken.has(n.id) ? nextId(n.id.replace(/-\d+$/, '') || n.kind, taken) : n.id;
    taken.add(id);
    rename.set(n.id, id);
  }
  const minX = Math.min(...p.nodes.map((n) => n.position.x));
  const minY = Math.min(...p.nodes.map((n) => n.position.y));
  const dx = 'offset' in place ? place.offset.x : place.at.x - minX;
  const dy = 'offset' in place ? place.offset.y : place.at.y - minY;
  const nodes = p.nodes.map((n) => ({ ...structuredClone(n), id: rename.get(n.id)!, position: { x: n.position.x + dx, y: n.position.y + dy } }) as WorkflowNode);
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  const edges: WorkflowEdge[] = [];
  for (const e of p.edges) {
    const source = rename.get(e.source);
    const target = rename.get(e.target);
    if (!source || !target) continue;
    const id = edgeIdFor(source, target, e.sourceHandle, edgeIds);
    edgeIds.add(id);
    edges.push({ ...structuredClone(e), id, source, target });
  }
  return { nodes, edges };
}

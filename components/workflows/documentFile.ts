/**
 * Workflow files: what Export writes and Import accepts. A file is a `WorkflowDocument` as JSON (the same
 * shape the public API takes). Imports are untrusted: the size is checked before the text is read, the
 * text is parsed with `JSON.parse` in a try, the result with `parseAndValidate` (zod, then the graph
 * validator); nothing is ever cast. A file that cannot be a draft (malformed, unknown kinds, duplicate
 * ids, dangling edges, cycles) is refused with its problems and nothing changes. A file that is merely
 * incomplete (an agent not chosen yet) imports, and its problems show as usual.
 *
 * Export also writes the workflow's `name` first, so a file says which workflow it is. Import reads it back
 * (`ImportResult.name`, at most 200 characters) and takes it off before the document is parsed, so the
 * document itself stays exactly the `WorkflowDocument` the API takes.
 */
import { NODE_KINDS, type WorkflowDocument } from '@/server/workflows/schema';
import { parseAndValidate, type Problem, type ProblemCode } from '@/server/workflows/validate';

/** Largest file Import reads: a 1,000-node document (the schema's limit) is well under 1 MB. */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/** Problems that make a document unusable as a draft; anything else is for the problems list. */
const REFUSED: ReadonlySet<ProblemCode> = new Set(['document.invalid', 'node.duplicate_id', 'edge.duplicate_id', 'edge.unknown_node', 'edge.self_loop', 'graph.cycle']);

export type ImportIssue = { code: string; message: string; nodeId?: string; edgeId?: string };
export type ImportResult = { ok: true; document: WorkflowDocument; problems: Problem[]; /** The workflow name the file carries, if any. */ name?: string } | { ok: false; title: string; issues: ImportIssue[] };

const MAX_SHOWN = 20;

function refuse(title: string, issues: ImportIssue[]): ImportResult {
  return { ok: false, title, issues: issues.slice(0, MAX_SHOWN) };
}

/** Checks a file's size before anything reads it. */
export function checkImportSize(bytes: number): ImportResult | null {
  if (bytes <= MAX_IMPORT_BYTES) return null;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return refuse('The file is too large', [{ code: 'import.too_large', message: `The file is ${mb(bytes)}; a workflow file is at most ${mb(MAX_IMPORT_BYTES)}.` }]);
}

/** Parses the text of a workflow file. `agents` (registry names) only adds `agent.unknown` problems. */
export function parseWorkflowFile(text: string, opts: { agents?: ReadonlySet<string> } = {}): ImportResult {
  const tooLarge = checkImportSize(new Blob([text]).size);
  if (tooLarge) return tooLarge;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return refuse('The file is not valid JSON', [{ code: 'import.not_json', message: (e as Error).message }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('nodes' in raw) || !('edges' in raw))
    return refuse('The file is not a Spine workflow', [{ code: 'import.not_a_workflow', message: 'Expected an object with formatVersion, nodes and edges (what Export writes).' }]);
  let name: string | undefined;
  if ('name' in raw) {
    const { name: carried, ...rest } = raw as { name?: unknown };
    if (typeof carried === 'string' && carried.trim()) name = carried.trim().slice(0, 200);
    raw = rest;
  }
  const kinds = unknownKinds(raw as object);
  if (kinds.length)
    return refuse('The file uses node kinds Spine does not have', kinds.map(({ id, kind }) => ({ code: 'import.unknown_kind', message: `Node ${id} has kind ${kind}; known kinds are ${NODE_KINDS.join(', ')}.` })));
  const { doc, problems } = parseAndValidate(raw, opts);
  const refused = problems.filter((p) => REFUSED.has(p.code));
  if (!doc || refused.length) {
    const title = refused.some((p) => p.code === 'graph.cycle') ? 'The workflow has a cycle' : 'The file is not a valid workflow';
    return refuse(title, (refused.length ? refused : problems).map(({ code, message, nodeId, edgeId }) => ({ code, message, ...(nodeId && { nodeId }), ...(edgeId && { edgeId }) })));
  }
  return { ok: true, document: doc, problems, ...(name !== undefined && { name }) };
}

function unknownKinds(raw: object): { id: string; kind: string }[] {
  const nodes = (raw as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes)) return [];
  const known = new Set<string>(NODE_KINDS);
  const out: { id: string; kind: string }[] = [];
  for (const n of nodes.slice(0, 1000)) {
    const kind = (n as { kind?: unknown } | null)?.kind;
    if (typeof kind === 'string' && !known.has(kind)) {
      const id = (n as { id?: unknown }).id;
      out.push({ id: typeof id === 'string' ? JSON.stringify(id.slice(0, 64)) : '(no id)', kind: JSON.stringify(kind.slice(0, 64)) });
    }
  }
  return out;
}

/** The text Export writes: the workflow's name (when given), then the document, pretty-printed, ending in a newline. */
export function serializeWorkflow(doc: WorkflowDocument, meta: { name?: string } = {}): string {
  return `${JSON.stringify(meta.name ? { name: meta.name, ...doc } : doc, null, 2)}\n`;
}

/** A workflow name from an imported file's name: `legal-case.json` → `legal-case`. */
export function nameFromFileName(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '').replace(/\.workflow$/, '').trim();
  return (base || 'Imported workflow').slice(0, 200);
}

/** Offers `text` as a download named `fileName` (browser only). */
export function downloadText(fileName: string, text: string, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

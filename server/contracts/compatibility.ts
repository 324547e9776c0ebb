/**
 * Compatibility of a schema change with the workflows that read it. A published workflow reads an event
 * type's fields through `input.<field>` (the event triggers it: the run input is the event's payload) and an
 * agent's output through `results.<node>.<field>` (a node that calls the agent), in any CEL expression:
 * router conditions, input/output mappings, fan-out items, delay instants, context patches.
 *
 * A change breaks a reader when a field path it reads was declared by the old schema and the new one drops
 * it (or drops a parent of it) or gives it another JSON type. A path the old schema never declared is not
 * the change's doing (the designer flags it on its own: `undeclaredReads`). Isomorphic and pure.
 */
import type { Json } from '@/server/spine';
import type { WorkflowDocument, WorkflowNode } from '@/server/workflows/schema';

/** One expression that reads fields of the schema's data. */
export type FieldReader = {
  workflowId: string;
  workflowName: string;
  version: number;
  nodeId: string;
  /** Where, in words: "Legal case v3 · step 'Route by risk' · route 'High risk' condition". */
  where: string;
  /** The field paths it reads below the root (`input` or `results.<node>`), e.g. [['risk'], ['party', 'name']]. */
  paths: string[][];
};

export type Break = { workflowId: string; version: number; nodeId: string; where: string; field: string; message: string };

/** Every CEL expression of a document, with where it sits (in words, and as the node's config field). */
export function expressionsOf(doc: WorkflowDocument): { node: WorkflowNode; where: string; field: string; src: string }[] {
  const out: { node: WorkflowNode; where: string; field: string; src: string }[] = [];
  const step = (n: WorkflowNode) => `step '${n.label || n.id}'`;
  const mapping = (n: WorkflowNode, what: string, field: string, m: Record<string, string> | undefined) => {
    for (const [k, src] of Object.entries(m ?? {})) out.push({ node: n, where: `${step(n)} · ${what} '${k}'`, field: `${field}.${k}`, src });
  };
  for (const n of doc.nodes) {
    switch (n.kind) {
      case 'agent': mapping(n, 'input', 'config.input', n.config.input); break;
      case 'router': n.config.routes.forEach((r, i) => out.push({ node: n, where: `${step(n)} · route '${r.label || r.id}' condition`, field: `config.routes.${i}.condition`, src: r.condition })); break;
      case 'fanOut': if (n.config.mode === 'map') out.push({ node: n, where: `${step(n)} · items`, field: 'config.items', src: n.config.items }); break;
      case 'delay': if (n.config.mode === 'until') out.push({ node: n, where: `${step(n)} · until`, field: 'config.until', src: n.config.until }); break;
      case 'setContext': mapping(n, 'patch', 'config.patch', n.config.patch); break;
      case 'end': mapping(n, 'output', 'config.output', n.config.output); break;
      default: break;
    }
  }
  return out;
}

const IDENT = String.raw`[A-Za-z_][A-Za-z0-9_]*`;
const SEGMENT = String.raw`(?:\.${IDENT}|\[\s*"[^"\\]*"\s*\]|\[\s*'[^'\\]*'\s*\])`;

/** The field paths `src` reads below `root` (`input`, or `results` + a node id). String literals are skipped. */
export function pathsRead(src: string, root: { kind: 'input' } | { kind: 'results'; nodeId: string }): string[][] {
  // Text in quotes is not a read, except a bracketed member name (`results["case-law"]`).
  const code = src.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (m, at: number) => (/\[\s*$/.test(src.slice(0, at)) ? m : '""'));
  const re = new RegExp(String.raw`(?<![A-Za-z0-9_.])(${root.kind})((?:${SEGMENT})+)`, 'g');
  const out: string[][] = [];
  for (const m of code.matchAll(re)) {
    const segs = [...m[2]!.matchAll(new RegExp(SEGMENT, 'g'))].map((s) => s[0].replace(/^\.|^\[\s*["']|["']\s*\]$/g, ''));
    if (root.kind === 'results') {
      if (segs[0] !== root.nodeId || segs.length < 2) continue;
      out.push(segs.slice(1));
    } else if (segs.length > 0) out.push(segs);
  }
  return dedupe(out);
}

function dedupe(paths: string[][]): string[][] {
  const seen = new Set<string>();
  return paths.filter((p) => !seen.has(p.join('\u0000')) && (seen.add(p.join('\u0000')), true));
}

/** The readers of an event type in one published workflow it triggers. */
export function inputReaders(w: { workflowId: string; workflowName: string; version: number; doc: WorkflowDocument }): FieldReader[] {
  return expressionsOf(w.doc)
    .map(({ node, where, src }) => ({ workflowId: w.workflowId, workflowName: w.workflowName, version: w.version, nodeId: node.id, where: `${w.workflowName} v${w.version} · ${where}`, paths: pathsRead(src, { kind: 'input' }) }))
    .filter((r) => r.paths.length > 0);
}

/** The readers of an agent's output in one published workflow: expressions reading `results.<node>` of a node calling it. */
export function outputReaders(w: { workflowId: string; workflowName: string; version: number; doc: WorkflowDocument }, agent: string): FieldReader[] {
  const callers = w.doc.nodes.filter((n) => n.kind === 'agent' && n.config.agent === agent).map((n) => n.id);
  return callers.flatMap((nodeId) =>
    expressionsOf(w.doc)
      .map(({ node, where, src }) => ({ workflowId: w.workflowId, workflowName: w.workflowName, version: w.version, nodeId: node.id, where: `${w.workflowName} v${w.version} · ${where}`, paths: pathsRead(src, { kind: 'results', nodeId }) }))
      .filter((r) => r.paths.length > 0),
  );
}

type Resolved = { declared: true; types: string[] } | { declared: false };

/** What a JSON Schema says about a field path: declared (with its JSON types, [] = any) or not. */
export function resolvePath(schema: Json, path: readonly string[]): Resolved {
  let s: Json | undefined = schema;
  for (const seg of path) {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return { declared: false };
    const obj = s as Record<string, Json>;
    const props = obj.properties as Record<string, Json> | undefined;
    if (props && typeof props === 'object' && Object.hasOwn(props, seg)) s = props[seg];
    else if (/^\d+$/.test(seg) && obj.items && typeof obj.items === 'object') s = obj.items;
    else return { declared: false };
  }
  if (s === true || s === undefined || s === null) return { declared: true, types: [] };
  if (typeof s !== 'object' || Array.isArray(s)) return { declared: true, types: [] };
  const t = (s as Record<string, Json>).type;
  return { declared: true, types: typeof t === 'string' ? [t] : Array.isArray(t) ? (t.filter((x) => typeof x === 'string') as string[]) : [] };
}

/** The places a change from `before` to `after` breaks (empty: compatible for every reader). */
export function breakingChanges(before: Json, after: Json, readers: readonly FieldReader[]): Break[] {
  const out: Break[] = [];
  for (const r of readers) {
    for (const path of r.paths) {
      const field = path.join('.');
      const was = resolvePath(before, path);
      if (!was.declared) continue;
      const now = resolvePath(after, path);
      const base = { workflowId: r.workflowId, version: r.version, nodeId: r.nodeId, where: r.where, field };
      if (!now.declared) out.push({ ...base, message: `${r.where} reads '${field}', which the new version removes` });
      else if (was.types.length > 0 && now.types.length > 0 && !was.types.every((t) => now.types.includes(t) || (t === 'integer' && now.types.includes('number'))))
        out.push({ ...base, message: `${r.where} reads '${field}' as ${was.types.join('|')}, the new version makes it ${now.types.join('|')}` });
    }
  }
  return out;
}

/** Reads of fields a schema does not declare (the designer marks them): path and where. */
export function undeclaredReads(schema: Json, readers: readonly FieldReader[]): { nodeId: string; where: string; field: string }[] {
  return readers.flatMap((r) => r.paths.filter((p) => !resolvePath(schema, p).declared).map((p) => ({ nodeId: r.nodeId, where: r.where, field: p.join('.') })));
}

/**
 * What the designer marks: an expression reading `results.<node>.<field>` of an agent node whose agent
 * declares an output schema without that field. `outputSchemaOf` answers an agent's schema (undefined: none).
 */
export function undeclaredOutputReads(doc: WorkflowDocument, outputSchemaOf: (agent: string) => Json | undefined): { nodeId: string; field: string; where: string; read: string; message: string }[] {
  const out: { nodeId: string; field: string; where: string; read: string; message: string }[] = [];
  const exprs = expressionsOf(doc);
  for (const n of doc.nodes) {
    if (n.kind !== 'agent') continue;
    const schema = outputSchemaOf(n.config.agent);
    if (schema === undefined || schema === null) continue;
    for (const e of exprs) {
      for (const p of pathsRead(e.src, { kind: 'results', nodeId: n.id })) {
        if (resolvePath(schema, p).declared) continue;
        out.push({ nodeId: e.node.id, field: e.field, where: e.where, read: p.join('.'), message: `${e.where[0]!.toUpperCase()}${e.where.slice(1)} reads '${p.join('.')}' of step '${n.label || n.id}', which agent '${n.config.agent}' does not declare in its output schema` });
      }
    }
  }
  return out;
}

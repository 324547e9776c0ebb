/**
 * Prompt templates: `{{path}}` over the task input and the envelope, nothing else (no expressions, no
 * eval). Paths are dotted names from one of the roots `input`, `intent`, `constraints`, `deadline`, `state`,
 * `version` (the envelope's), `history`, `runId`, `nodeId`, `attempt`; a string value is inserted as is, any other value as JSON, a
 * missing one as the empty string. `{{json path}}` always inserts JSON (a string quoted), for prompts that
 * embed values in a JSON document.
 *
 * @example
 * renderPrompt('Facts: {{input.facts}} (intent: {{intent}})', task) // 'Facts: GDPR breach (intent: Assess)'
 */
import type { Json } from '@/server/spine';
import type { AgentTask } from '../adapter';

const PLACEHOLDER = /\{\{\s*(json\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

export function promptScope(task: AgentTask): Record<string, Json> {
  const e = task.envelope;
  return {
    input: task.input,
    intent: e.intent,
    constraints: e.constraints,
    deadline: e.deadline,
    state: e.state,
    version: e.version,
    history: e.history as unknown as Json,
    runId: task.runId,
    nodeId: task.nodeId,
    attempt: task.attempt,
  };
}

function lookup(scope: Record<string, Json>, path: string): Json | undefined {
  let v: Json | undefined = scope;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) ? (/^\d+$/.test(part) ? v[Number(part)] : undefined) : Object.hasOwn(v, part) ? v[part] : undefined;
  }
  return v;
}

export function renderPrompt(template: string, task: AgentTask): string {
  const scope = promptScope(task);
  return template.replace(PLACEHOLDER, (_, json: string | undefined, path: string) => {
    const v = lookup(scope, path);
    if (json) return JSON.stringify(v ?? null);
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

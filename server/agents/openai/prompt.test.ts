import { describe, expect, it } from 'vitest';
import type { AgentTask } from '../adapter';
import { renderPrompt } from './prompt';

const task: AgentTask = {
  runId: 'r1', nodeId: 'n', attempt: 2, idempotencyKey: 'k', input: { facts: 'GDPR', items: [{ name: 'a' }, { name: 'b' }], n: 3, none: null },
  envelope: { runId: 'r1', intent: 'Assess', constraints: { budget: 5 }, deadline: null, state: { address: 'X 1' }, version: 4, history: { entries: [], omitted: 0 } },
  event: { seq: 1, id: 'e', type: 'task.dispatched' },
};

describe('renderPrompt', () => {
  it('inserts strings as is, other values as JSON, missing ones as nothing; {{json x}} always as JSON', () => {
    expect(renderPrompt('{{ input.facts }} / {{intent}} / {{constraints}} / {{input.items.1.name}} / {{input.n}} / [{{input.none}}] / [{{state.nope.deeper}}] / v{{version}} #{{attempt}}', task)).toBe(
      'GDPR / Assess / {"budget":5} / b / 3 / [] / [] / v4 #2',
    );
    expect(renderPrompt('{"f": {{json input.facts}}, "m": {{json input.missing}}, "s": {{json state}}}', task)).toBe('{"f": "GDPR", "m": null, "s": {"address":"X 1"}}');
  });

  it('leaves anything that is not a placeholder alone (no expressions, no prototype walk)', () => {
    expect(renderPrompt('{{input.facts + 1}} {{constructor}} {{input.__proto__}} {{ }} {single}', task)).toBe('{{input.facts + 1}}   {{ }} {single}');
  });
});

/**
 * handoff in domain words: a result the agent computed on an envelope that has changed since its dispatch
 * is stale, and follows the node's on-stale policy (rerun, accept, fail); the engine's own writes never
 * make a result stale; a dispatch records the committed state it was decided on.
 */
import { describe, expect, it } from 'vitest';
import { taskSpanId } from '../run/traceContext';
import { agentReturned, contextPatched, links, nodeCompleted, nothingNew, runStarted, specFor, taskDispatched, taskFailed, taskStale, workflow } from '@/server/testing/given';

const agent = (id: string, config: Record<string, unknown> = {}) => ({ id, kind: 'agent' as const, config: { agent: id, ...config } });
const end = (id: string) => ({ id, kind: 'end' as const, config: { outcome: 'success' as const } });
const trigger = { id: 'start', kind: 'trigger' as const };

/** start → label (on-stale policy, output to state.label) → done */
const labelling = (onStale: 'rerun' | 'accept' | 'fail') =>
  workflow({ nodes: [trigger, agent('label', { onStale, outputKey: 'label', retry: { maxAttempts: 1 } }), end('done')], edges: links(['start', 'label'], ['label', 'done']) });

describe('stale results follow the node’s on-stale policy', () => {
  // The label was dispatched on envelope v1; the customer then changed the address (v2).
  const history = [runStarted({ input: { address: 'Old Street 1' } }), nodeCompleted('start'), taskDispatched('label'), contextPatched({ address: 'New Avenue 2' })];

  it('rerun: the result is marked stale and the task runs again on the new envelope', () => {
    const given = specFor(labelling('rerun'));
    given(...history).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 1 })).then([{ type: 'task.stale', payload: { nodeId: 'label', attempt: 1, basedOnVersion: 1, currentVersion: 2, policy: 'rerun' } }]);
    given(...history, taskStale('label', 'rerun')).when(nothingNew).then([{ type: 'task.dispatched', payload: { nodeId: 'label', attempt: 2 } }]);
    given(...history, taskStale('label', 'rerun'), taskDispatched('label', 2)).when(agentReturned('label', { label: 'NEW' }, { attempt: 2, envelopeVersion: 2 })).then([
      { type: 'task.completed', payload: { attempt: 2, output: { label: 'NEW' }, envelopeVersion: 2 } },
      { type: 'context.patched', payload: { patch: { label: { label: 'NEW' } }, reason: 'output', nodeId: 'label' } },
    ]);
  });

  it('rerun: the superseded attempt’s late result is ignored', () => {
    specFor(labelling('rerun'))(...history, taskStale('label', 'rerun'), taskDispatched('label', 2)).when(agentReturned('label', { label: 'OLD' }, { attempt: 1 })).thenNothing();
  });

  it('accept: the stale result is recorded as stale and accepted', () => {
    specFor(labelling('accept'))(...history).when(agentReturned('label', { label: 'OLD' })).then([
      { type: 'task.stale', payload: { policy: 'accept' } },
      { type: 'task.completed', payload: { output: { label: 'OLD' }, envelopeVersion: 1 } },
      { type: 'context.patched', payload: { patch: { label: { label: 'OLD' } } } },
    ]);
  });

  it('fail: the attempt fails as stale (not retryable), and without an error edge the run fails', () => {
    const given = specFor(labelling('fail'));
    given(...history).when(agentReturned('label', { label: 'OLD' })).then([
      { type: 'task.stale', payload: { policy: 'fail' } },
      { type: 'task.failed', payload: { errorKind: 'stale', retryable: false, error: 'result based on envelope v1, but the context changed (v2)' } },
    ]);
    given(...history, taskStale('label', 'fail'), taskFailed('label', 'stale', { retryable: false, errorKind: 'stale' }))
      .when(nothingNew)
      .then([{ type: 'run.failed', payload: { code: 'node.failed', nodeId: 'label' } }]);
  });

  it("the engine's own writes (another node's output) do not make a result stale", () => {
    specFor(labelling('fail'))(runStarted(), nodeCompleted('start'), taskDispatched('label'), contextPatched({ other: 1 }, { by: 'engine', reason: 'output', nodeId: 'x' }))
      .when(agentReturned('label', { label: 'OK' }))
      .then([{ type: 'task.completed' }, { type: 'context.patched' }]);
  });

  it('a result is stale even when the agent read the new envelope: its input was mapped from the old one', () => {
    specFor(labelling('fail'))(...history).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 2 })).then([
      { type: 'task.stale', payload: { basedOnVersion: 1, currentVersion: 2 } },
      { type: 'task.failed', payload: { errorKind: 'stale' } },
    ]);
  });

  it('a change that committed after the dispatch was decided but before it was appended makes the result stale', () => {
    // The dispatch was decided on the state up to seq 2; the customer's patch (seq 3) landed before it was appended (seq 4).
    const raced = [runStarted({ input: { address: 'Old Street 1' } }), nodeCompleted('start'), contextPatched({ address: 'New Avenue 2' }), taskDispatched('label', 1, { address: 'Old Street 1' }, { basedOnSeq: 2, basedOnVersion: 1 })];
    specFor(labelling('rerun'))(...raced).when(agentReturned('label', { label: 'OLD' }, { envelopeVersion: 2 })).then([{ type: 'task.stale', payload: { policy: 'rerun', basedOnVersion: 1, currentVersion: 2 } }]);
  });

  it('a dispatch records what it was decided on: the last committed seq and envelope version', () => {
    specFor(labelling('rerun'))(runStarted(), contextPatched({ address: 'A' }))
      .when(nodeCompleted('start'))
      .then([{ type: 'task.dispatched', payload: { nodeId: 'label', basedOnSeq: 3, basedOnVersion: 2 } }]);
  });
});

describe('a dispatch carries its span in the run’s trace', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traced = runStarted({ trace: { traceparent: `00-${TRACE}-1111111111111111-01`, tracestate: 'vendor=abc' } });
  const span = (attempt: number) => ({ traceparent: `00-${TRACE}-${taskSpanId(TRACE, 'label', attempt)}-01`, tracestate: 'vendor=abc' });

  it('derived from the recorded trace, node and attempt: the same history decides the same bytes; a retry gets a span of its own', () => {
    const given = specFor(labelling('rerun'));
    const first = given(traced, nodeCompleted('start')).when(nothingNew).then([{ type: 'task.dispatched', payload: { nodeId: 'label', attempt: 1, trace: span(1) } }]);
    expect(given(traced, nodeCompleted('start')).when(nothingNew).decisions).toEqual(first.decisions);
    given(traced, nodeCompleted('start'), taskDispatched('label'), contextPatched({ address: 'New' }), taskStale('label', 'rerun')).when(nothingNew).then([{ type: 'task.dispatched', payload: { attempt: 2, trace: span(2) } }]);
  });

  it('a run without a trace (started before tracing) dispatches none', () => {
    const [d] = specFor(labelling('rerun'))(runStarted(), nodeCompleted('start')).when(nothingNew).decisions;
    expect(d!.payload).not.toHaveProperty('trace');
  });
});

describe('a dispatch refers to the run input rather than copying it', () => {
  it('without a mapping: inputFrom run, no copy; with a mapping: the mapped value itself', () => {
    const plain = specFor(workflow({ nodes: [trigger, agent('label'), end('done')], edges: links(['start', 'label'], ['label', 'done']) }));
    const { decisions } = plain(runStarted({ input: { document: 'x'.repeat(2048) } })).when(nodeCompleted('start')).then([{ type: 'task.dispatched', payload: { nodeId: 'label', inputFrom: 'run' } }]);
    expect(decisions.find((d) => d.type === 'task.dispatched')!.payload).not.toHaveProperty('input');
    const mapped = specFor(workflow({ nodes: [trigger, agent('label', { input: { doc: 'input.document' } }), end('done')], edges: links(['start', 'label'], ['label', 'done']) }));
    mapped(runStarted({ input: { document: 'short' } })).when(nodeCompleted('start')).then([{ type: 'task.dispatched', payload: { nodeId: 'label', input: { doc: 'short' } } }]);
  });
});

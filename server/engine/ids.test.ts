/**
 * ids: the idempotency keys already in logs keep their exact strings (a changed byte would let a replay
 * append a second run start, trigger failure or decision).
 */
import { describe, expect, it } from 'vitest';
import { decisionKey, idempotencyKey, requesterKey, runStartKey, scheduleKey, toolCallKey, triggerFailedKey, triggerStartKey } from './ids';

describe('ids: engine idempotency keys', () => {
  it('are byte-identical to the keys written before they were built here', () => {
    expect(runStartKey(triggerStartKey('wf-1', 'ev-9'))).toBe('run:trigger:wf-1:ev-9');
    expect(triggerFailedKey('wf-1', 'ev-9')).toBe('trigger.failed:wf-1:ev-9');
    expect(runStartKey(scheduleKey('wf-1', 1_735_689_600_000))).toBe('run:schedule:wf-1:1735689600000');
    expect(runStartKey(requesterKey('apiKey', 'ops', 'k-1'))).toBe('run:by:apiKey:ops:k-1');
    expect(decisionKey('r1', 'timer.fired', 'delay:pause:0')).toBe('engine:r1:timer.fired:delay:pause:0');
    expect(decisionKey('r1', 'run.failed', 'failed')).toBe('engine:r1:run.failed:failed');
    expect(decisionKey('r1', 'run.cancelled')).toBe('engine:r1:run.cancelled');
    expect(decisionKey('r1', 'run.reopened', 17)).toBe('engine:r1:run.reopened:17');
    expect(idempotencyKey({ runId: 'r1', nodeId: 'a', attempt: 2, instance: 3 })).toBe('r1:a#3:2');
    // An LLM agent's n-th tool call: the callee's key, and (under decisionKey 'tool') its task.tool_called's.
    expect(toolCallKey('r1:router:1', 2)).toBe('r1:router:1:tool:2');
    expect(decisionKey('r1', 'tool', toolCallKey('r1:router:1', 2))).toBe('engine:r1:tool:r1:router:1:tool:2');
  });
});

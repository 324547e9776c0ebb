/**
 * Agent calls (builtin and openai) that a test holds until it releases them, so that "the agent is still working when X
 * happens" is a fact rather than a race against the agent's latency on a busy machine. A held call waits
 * (or rejects when the engine aborts it, like a remote call would), then runs the real builtin behaviour.
 * Works in the test's own process (engineHarness); a child process has SPINE_TEST_HOLD (engineServer.ts).
 * Builtins with zero latency run inline and never reach `invoke`: give a held agent some latency.
 *
 * @example
 * const calls = holdAgentCalls();
 * const release = calls.hold((t) => t.nodeId === 'label-printer' && t.attempt === 1);
 * await service.patchContext(runId, ...); // attempt 1 is certainly still running
 * release();
 * // afterEach: vi.restoreAllMocks()
 */
import { vi } from 'vitest';
import { BuiltinAdapter } from '@/server/agents/builtin/builtinAdapter';
import { OpenAiAdapter } from '@/server/agents/openai/openAiAdapter';
import type { AgentTask } from '@/server/agents/adapter';

type Gate = { pick: (task: AgentTask) => boolean; released: Promise<void> };

export function holdAgentCalls(): { hold: (pick: (task: AgentTask) => boolean) => () => void } {
  const gates: Gate[] = [];
  const held = async (task: AgentTask, signal: AbortSignal) => {
    const gate = gates.find((g) => g.pick(task));
    if (gate) {
      await new Promise<void>((resolve, reject) => {
        void gate.released.then(resolve);
        signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true });
      });
    }
  };
  const invoke = BuiltinAdapter.prototype.invoke;
  vi.spyOn(BuiltinAdapter.prototype, 'invoke').mockImplementation(async function (this: BuiltinAdapter, agent, task, signal) {
    await held(task, signal);
    return invoke.call(this, agent, task, signal);
  });
  const llm = OpenAiAdapter.prototype.invoke;
  vi.spyOn(OpenAiAdapter.prototype, 'invoke').mockImplementation(async function (this: OpenAiAdapter, agent, task, signal, tools) {
    await held(task, signal);
    return llm.call(this, agent, task, signal, tools);
  });
  return {
    hold(pick) {
      let release!: () => void;
      gates.push({ pick, released: new Promise<void>((r) => (release = r)) });
      return release;
    },
  };
}

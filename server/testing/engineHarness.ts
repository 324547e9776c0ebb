/**
 * An engine on a fresh database for integration tests: real SQLite file or PostgreSQL, real spine, the
 * builtin agents with configurable latency/failures, the demo workflows published. With `agentKind:
 * 'openai'` the same agents are LLM agents answered by a fake OpenAI-compatible server (llmAgents.ts). `waitForRun` follows
 * the run's events by push until it ends.
 */
import type { Json } from '@/server/spine';
import { openSpine, type Spine, type SpineEvent } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { startEngine, type EngineService, type RunState } from '@/server/engine';
import { seedDemo } from '@/server/demo/seed';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { freshDatabaseUrl } from './testDb';
import type { FakeOpenAi } from './fakeOpenAi';
import { startLlmDemoAgents } from './llmAgents';

export type Harness = { url: string; spine: Spine; db: Db; service: EngineService; close: () => Promise<void>; llm?: FakeOpenAi };

export async function openHarness(opts: {
  url?: string; agents?: Record<string, Record<string, Json>>; random?: () => number; now?: () => number; seed?: boolean;
  /** The engine's in-memory state of each run as it ends (to compare with a fold of its history). */
  onRunEnded?: (state: RunState) => void;
  /** The log's payload limit (a small one makes an oversized step easy to provoke). */
  maxPayloadBytes?: number;
  /** `openai`: the demo agents are LLM agents on a fake endpoint (`harness.llm`), with `agents` as its per-model options. */
  agentKind?: 'builtin' | 'openai';
} = {}): Promise<Harness> {
  const url = opts.url ?? (await freshDatabaseUrl());
  const spine = await openSpine({ databaseUrl: url, ...(opts.maxPayloadBytes !== undefined && { maxPayloadBytes: opts.maxPayloadBytes }) });
  const db = createDb(url);
  const service = await startEngine({ spine, db, random: opts.random, now: opts.now, databaseUrl: url, onRunEnded: opts.onRunEnded });
  await service.leading();
  if (opts.seed !== false) await seedDemo(service, { latency: false, config: opts.agents });
  const allowBefore = process.env.SPINE_OUTBOUND_ALLOW;
  const llm = opts.agentKind === 'openai' ? await startLlmDemoAgents(service, opts.agents) : undefined;
  return {
    url, spine, db, service, ...(llm && { llm }),
    async close() {
      await step('engine.stop', service.stop());
      if (llm) {
        await step('llm.close', llm.close());
        if (allowBefore === undefined) delete process.env.SPINE_OUTBOUND_ALLOW;
        else process.env.SPINE_OUTBOUND_ALLOW = allowBefore;
      }
      await step('db.$disconnect', db.$disconnect());
      await step('spine.close', spine.close());
    },
  };
}

/** Creates a workflow from `document` and publishes it; resolves with its id. */
export async function publishDocument(h: Harness, name: string, document: WorkflowDocument): Promise<string> {
  const w = await h.service.workflows.create({ name, document });
  await h.service.publishWorkflow(w.id);
  return w.id;
}

/** Awaits a shutdown step, naming it if it hangs (a hung close would otherwise only show as a hook timeout). */
async function step<T>(name: string, p: Promise<T>): Promise<T> {
  const t = setTimeout(() => console.error(`harness: ${name} has not finished after 5 s`), 5000);
  try {
    return await p;
  } finally {
    clearTimeout(t);
  }
}

const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/** Resolves with the run's events once it has ended (or rejects after `timeoutMs`). */
export async function waitForRun(spine: Spine, runId: string, timeoutMs = 20_000): Promise<SpineEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: SpineEvent[] = [];
  try {
    for await (const e of spine.subscribe({ runId, fromSeq: 1, signal: ac.signal })) {
      events.push(e);
      if (TERMINAL.has(e.type)) return events;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`run ${runId} did not end within ${timeoutMs} ms; last events: ${events.slice(-5).map((e) => e.type).join(', ')}`);
}

/** Resolves with the first event of the run matching `pred`. */
export async function waitForEvent(spine: Spine, runId: string, pred: (e: SpineEvent) => boolean, timeoutMs = 20_000): Promise<SpineEvent> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    for await (const e of spine.subscribe({ runId, fromSeq: 1, signal: ac.signal })) if (pred(e)) return e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`no matching event in run ${runId} within ${timeoutMs} ms`);
}

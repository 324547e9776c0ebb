/**
 * SDK agent benchmark (issue 12 §5): the legal-case workflow with its five specialists served by `@spine/sdk`
 * agents in a second process (server/testing/sdkAgentProcess.ts, over /api/v1 on 127.0.0.1 with real agent
 * keys), against the same workflow with in-process builtin agents, measured in the same run on SQLite with
 * durable commits. The summarizer stays builtin in both, so the difference is the specialists' round trip:
 * dispatch committed → pushed on the agent stream → claimed → handled → result posted → completion committed.
 *
 *   one round trip: a workflow of one `precedent` task, one run at a time, sdk vs builtin: the difference of
 *   the p50s is what one SDK round trip adds (target ≤ 2 ms);
 *   the legal case: single run latency p50/p99 for both and their difference (five round trips at once, their
 *   requests and completion commits taking turns on one server thread); runs/s with 200 runs in flight for
 *   both, and their ratio.
 *
 * Inputs are low-risk cases, so the router takes the default branch (no human approval in the loop).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { agentKeys } from '@/server/agents';
import { createAuthService } from '@/server/auth';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { createDb, type Db } from '@/server/db/client';
import { seedDemo } from '@/server/demo/seed';
import { startEngine, type EngineService } from '@/server/engine';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { openSpine, type Spine } from '@/server/spine';
import { spawnTs, waitForLine } from '@/server/testing/processes';
import { v1Routes } from '@/server/testing/v1Routes';
import type { WorkflowDocument } from '@/server/workflows/schema';
import { Report, envInt, log, now, summarize } from './support';

const SINGLE_RUNS = envInt('SPINE_BENCH_SINGLE_RUNS', 100);
/** Runs before each measured series, so both sides are measured with their code optimised (steady state). */
const WARMUP = envInt('SPINE_BENCH_WARMUP', 200);
const CONCURRENT = envInt('SPINE_BENCH_CONCURRENT', 200);
const CONCURRENT_TOTAL = envInt('SPINE_BENCH_CONCURRENT_TOTAL', 600);
const SPECIALISTS = ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment'];
const ONE_TASK = 'one-precedent-task';

/** trigger → precedent → end: one agent task, so a run's latency over builtin is one round trip. */
const oneTask = {
  formatVersion: 1,
  nodes: [
    { id: 'start', kind: 'trigger', position: { x: 0, y: 0 }, config: { mode: 'manual' } },
    { id: 'precedent', kind: 'agent', position: { x: 200, y: 0 }, config: { agent: 'precedent', timeoutMs: 10_000, retry: { maxAttempts: 1, initialBackoffMs: 0, backoffMultiplier: 2, maxBackoffMs: 0, jitter: 0 }, onStale: 'rerun' } },
    { id: 'done', kind: 'end', position: { x: 400, y: 0 }, config: { outcome: 'success' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'precedent' },
    { id: 'e2', source: 'precedent', target: 'done' },
  ],
} as WorkflowDocument;

type Env = { label: string; spine: Spine; db: Db; service: EngineService; ended: Map<string, () => void>; done: Set<string>; close: () => Promise<void> };

async function openEnv(label: string, url: string, sdk: boolean): Promise<Env> {
  const spine = await openSpine({ databaseUrl: url });
  const db = createDb(url);
  const ended = new Map<string, () => void>();
  const done = new Set<string>();
  // A run whose agents all run inline can end before startRun returns: remember it.
  const service = await startEngine({ spine, db, databaseUrl: url, onRunEnded: (s) => (ended.get(s.runId) ? ended.get(s.runId)!() : done.add(s.runId)) });
  await service.leading();
  await seedDemo(service, { latency: false, config: Object.fromEntries([...SPECIALISTS, 'summarizer'].map((a) => [a, { latencyMs: 0 }])) });
  await service.workflows.create({ name: 'One precedent task', slug: ONE_TASK, document: oneTask });
  await service.publishWorkflow(ONE_TASK, { createdBy: 'bench' });
  const closers: (() => Promise<void> | void)[] = [];
  if (sdk) {
    const auth = createAuthService({ db, spine });
    const keys: Record<string, string> = {};
    for (const name of SPECIALISTS) {
      await service.agentStore.upsert({ name, kind: 'sdk', description: `${name} (sdk)`, config: {} });
      keys[name] = (await agentKeys({ auth, agents: service.agentStore }).create(name, {}, SYSTEM_ACTOR)).secret;
    }
    service.agents.invalidate();
    const server = createNodeServer(v1Routes(async () => ({ spine, maxPayloadBytes: 256 * 1024, auth, engine: service })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child: ChildProcess = spawnTs('server/testing/sdkAgentProcess.ts', [], { SPINE_URL: origin, SPINE_AGENT_KEYS: JSON.stringify(keys), SDK_QUIET: '1', SDK_CONCURRENCY: String(CONCURRENT * 2) });
    child.stderr?.on('data', (d) => process.stderr.write(d));
    await waitForLine(child, /^ready$/m, 60_000);
    closers.push(() => void child.kill('SIGKILL'), () => {
      server.closeAllConnections();
      server.close();
    });
  }
  return {
    label, spine, db, service, ended, done,
    close: async () => {
      for (const c of closers) await c();
      await service.stop();
      await db.$disconnect();
      await spine.close();
    },
  };
}

/** Starts one run and resolves with its end-to-end latency in ms (start call → run ended in the engine). */
async function oneRun(env: Env, i: number, workflowId = 'legal-case-analysis'): Promise<number> {
  const t0 = now();
  let done!: () => void;
  const ended = new Promise<void>((r) => (done = r));
  const { runId } = await env.service.core.startRun({ workflowId, input: { facts: `routine contract dispute ${i}` }, startedBy: 'bench' });
  if (env.done.delete(runId)) return now() - t0;
  env.ended.set(runId, done);
  await ended;
  env.ended.delete(runId);
  return now() - t0;
}

async function measure(env: Env, report: Report): Promise<{ p50: number; oneTaskP50: number; runsPerSec: number }> {
  for (let i = 0; i < WARMUP; i++) await oneRun(env, i, ONE_TASK);
  const one: number[] = [];
  for (let i = 0; i < SINGLE_RUNS; i++) one.push(await oneRun(env, i, ONE_TASK));
  const o = summarize(one);
  report.add({ db: 'sqlite FULL', scenario: env.label, metric: 'one-task run latency p50', value: o.p50, unit: 'ms' });
  for (let i = 0; i < WARMUP; i++) await oneRun(env, i);
  const lat: number[] = [];
  for (let i = 0; i < SINGLE_RUNS; i++) lat.push(await oneRun(env, i));
  const s = summarize(lat);
  report.add({ db: 'sqlite FULL', scenario: env.label, metric: 'single run latency p50', value: s.p50, unit: 'ms' });
  report.add({ db: 'sqlite FULL', scenario: env.label, metric: 'single run latency p99', value: s.p99, unit: 'ms' });
  const t0 = now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENT }, async () => {
    while (next < CONCURRENT_TOTAL) {
      next++;
      await oneRun(env, next);
    }
  }));
  const runsPerSec = CONCURRENT_TOTAL / ((now() - t0) / 1000);
  report.add({ db: 'sqlite FULL', scenario: env.label, metric: `runs/s, ${CONCURRENT} in flight`, value: runsPerSec, unit: 'runs/s' });
  return { p50: s.p50, oneTaskP50: o.p50, runsPerSec };
}

async function main() {
  const report = new Report();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-sdk-bench-'));
  try {
    const results: Record<string, { p50: number; oneTaskP50: number; runsPerSec: number }> = {};
    for (const [label, sdk] of [['builtin agents (in-process)', false], ['sdk agents (second process)', true]] as const) {
      log(label);
      const env = await openEnv(label, `file:${path.join(dir, `${sdk ? 'sdk' : 'builtin'}.db`)}`, sdk);
      try {
        results[label] = await measure(env, report);
      } finally {
        await env.close();
      }
    }
    const b = results['builtin agents (in-process)']!;
    const s = results['sdk agents (second process)']!;
    report.add({ db: 'sqlite FULL', scenario: 'sdk vs builtin', metric: 'one SDK round trip overhead p50', value: s.oneTaskP50 - b.oneTaskP50, unit: 'ms', target: { op: '<=', value: 2 } });
    report.add({ db: 'sqlite FULL', scenario: 'sdk vs builtin', metric: 'legal case overhead p50 (5 at once)', value: s.p50 - b.p50, unit: 'ms' });
    report.add({ db: 'sqlite FULL', scenario: 'sdk vs builtin', metric: 'runs/s ratio (sdk / builtin)', value: s.runsPerSec / b.runsPerSec, unit: 'x' });
    console.log(report.render());
    if (report.failures.length) console.log(`\n${report.failures.length} target(s) missed: ${report.failures.map((f) => `${f.scenario} ${f.metric}`).join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

void main();

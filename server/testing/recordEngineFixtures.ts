/**
 * Records the histories in server/engine/__fixtures__: real runs of the demo workflows on a fresh SQLite
 * database, with builtin agents. Per run it writes `<name>.jsonl` (the run's events in seq order, as the
 * log stores them), `<name>.workflow.json` (the published version the run started on) and
 * `<name>.snapshot.json` (the state the history folds to). run/evolve.test.ts checks that each history still
 * folds to its snapshot, so a change to evolve that would read an old history differently shows up there.
 *
 * Re-record only on purpose (a deliberate change of what a history means), and review the diff:
 *   npx tsx server/testing/recordEngineFixtures.ts
 * When RunState gains a field, keep the histories and refold them into new snapshots instead (the diff
 * should show only the new field):
 *   npx tsx server/testing/recordEngineFixtures.ts --refold
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { SpineEvent } from '@/server/spine';
import type { RunState } from '@/server/engine';
import { WorkflowDocument } from '@/server/workflows/schema';
import { isRunEvent } from '@/server/engine/events';
import { compileWorkflow } from '@/server/engine/graph';
import { toRunEvent } from '@/server/engine';
import { applyEvent, initialState } from '@/server/engine/run/evolve';
import { freshDatabaseUrl } from './testDb';
import { openHarness, waitForEvent, waitForRun, type Harness } from './engineHarness';

const OUT = path.join(process.cwd(), 'server/engine/__fixtures__');

type Recording = { name: string; about: string; run: (h: Harness) => Promise<string> };

const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

async function approve(h: Harness, runId: string, nodeId: string, actor: string) {
  const e = await waitForEvent(h.spine, runId, (x) => x.type === 'approval.requested' && nodeOf(x) === nodeId);
  await h.service.decideApproval((e.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: actor });
}

const RECORDINGS: Recording[] = [
  {
    name: 'legal-case-high-risk-approved',
    about: 'fan-out to five agents, join all, summary routed to a partner review, approved',
    async run(h) {
      const { runId } = await h.service.startRun('legal-case-analysis', { input: { facts: 'GDPR breach at a subsidiary' }, intent: 'Assess the case' }, 'olga');
      await approve(h, runId, 'partner-review', 'paula');
      return runId;
    },
  },
  {
    name: 'procurement-large-paid',
    about: 'legal review, contract approval, a second approval for a large amount, join any, stock confirmed, payment',
    async run(h) {
      const { runId } = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 3 }, intent: 'Buy servers' }, 'olga');
      await approve(h, runId, 'contract-approval', 'anna');
      await approve(h, runId, 'extra-approval', 'ben');
      return runId;
    },
  },
  {
    name: 'shipping-label-stale-rerun',
    about: 'the address changes while the label prints; the stale label is re-run on the new address',
    async run(h) {
      const { runId } = await h.service.startRun('shipping-label', { input: { address: 'Old Street 1' } }, 'sam');
      await waitForEvent(h.spine, runId, (e) => e.type === 'task.dispatched' && nodeOf(e) === 'label-printer');
      await h.service.patchContext(runId, { patch: { address: 'New Avenue 2' } }, 'customer');
      return runId;
    },
  },
  {
    name: 'translation-rejected',
    about: 'sentiment finds the text inappropriate; the router takes the failure end',
    async run(h) {
      return (await h.service.startRun('translation-after-sentiment', { input: { text: 'I will kill you' } }, 'tom')).runId;
    },
  },
  {
    name: 'translation-retried',
    about: 'sentiment fails its first attempt, is retried after a recorded backoff, then the text is translated',
    async run(h) {
      await h.service.agentStore.upsert({ name: 'sentiment', kind: 'builtin', config: { latencyMs: 0, failFirst: 1 } });
      h.service.agents.invalidate();
      try {
        const { runId } = await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' } }, 'tom');
        await waitForRun(h.spine, runId);
        return runId;
      } finally {
        await h.service.agentStore.upsert({ name: 'sentiment', kind: 'builtin', config: { latencyMs: 0 } });
        h.service.agents.invalidate();
      }
    },
  },
  {
    name: 'booking-queued-behind-key',
    about: 'a cancellation queued behind a booking of the same room, then run when the key is released',
    async run(h) {
      const a = await h.service.startRun('booking-vs-cancellation', { input: { room: '7', action: 'book', guest: 'ada' }, key: 'room:7' }, 'desk');
      const b = await h.service.startRun('booking-vs-cancellation', { input: { room: '7', action: 'cancel' }, key: 'room:7' }, 'desk');
      await waitForRun(h.spine, a.runId);
      return b.runId;
    },
  },
];

if (process.argv.includes('--refold')) {
  for (const f of readdirSync(OUT).filter((x) => x.endsWith('.jsonl'))) {
    const name = f.slice(0, -'.jsonl'.length);
    const meta = JSON.parse(readFileSync(path.join(OUT, `${name}.workflow.json`), 'utf8')) as { workflowId: string; slug: string; version: number; document: unknown };
    const wf = compileWorkflow(meta, WorkflowDocument.parse(meta.document));
    const events = readFileSync(path.join(OUT, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SpineEvent);
    const state = initialState(events[0]!.runId!);
    for (const e of events) if (isRunEvent(e)) applyEvent(wf, state, toRunEvent(e));
    writeFileSync(path.join(OUT, `${name}.snapshot.json`), JSON.stringify(state, null, 2) + '\n');
    console.log(`${name}: refolded ${events.length} events`);
  }
  process.exit(0);
}

const ended = new Map<string, RunState>();
const h = await openHarness({ url: await freshDatabaseUrl('sqlite'), agents: { 'booking-desk': { latencyMs: 30 }, 'label-printer': { latencyMs: 200 } }, onRunEnded: (s) => ended.set(s.runId, structuredClone(s)) });
mkdirSync(OUT, { recursive: true });
try {
  for (const r of RECORDINGS) {
    const runId = await r.run(h);
    const events = await waitForRun(h.spine, runId);
    const all = await h.service.runEvents(runId);
    const folded = await h.service.fold(runId);
    if (!folded) throw new Error(`${r.name}: no run.started`);
    await new Promise((res) => setTimeout(res, 20));
    const live = ended.get(runId);
    if (!live || !isDeepStrictEqual(live, folded.state)) throw new Error(`${r.name}: the engine's live state differs from the fold of the log`);
    const v = await h.service.workflows.getVersion(folded.state.workflowId, folded.state.version);
    writeFileSync(path.join(OUT, `${r.name}.jsonl`), all.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(path.join(OUT, `${r.name}.workflow.json`), JSON.stringify({ about: r.about, workflowId: v.workflowId, slug: v.slug, version: v.version, document: v.document }, null, 2) + '\n');
    writeFileSync(path.join(OUT, `${r.name}.snapshot.json`), JSON.stringify(folded.state, null, 2) + '\n');
    console.log(`${r.name}: ${all.length} events, ${events.at(-1)!.type}`);
  }
} finally {
  await h.close();
}

/**
 * Records the histories in this folder: real runs of the demo workflows on a fresh SQLite database, with
 * builtin agents, by the engine that stamps `causationId` on every decision. Unlike the older histories in
 * server/engine/__fixtures__ (recorded before the engine named causes, so their links must be inferred), these
 * carry the recorded chain. Per run: `<name>.jsonl` (the trigger event if there was one, then the run's events,
 * in seq order, as the log stores them) and `<name>.workflow.json` (the version the run started on).
 *
 * Re-record only on purpose, and review the diff:
 *   npx tsx server/observability/__fixtures__/record.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SpineEvent } from '@/server/spine';
import { freshDatabaseUrl } from '@/server/testing/testDb';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';

const OUT = import.meta.dirname;

type Recording = { name: string; about: string; run: (h: Harness) => Promise<string> };

const nodeOf = (e: SpineEvent) => (e.payload as { nodeId?: string }).nodeId;

async function runStartedBy(h: Harness, triggerSeq: number, triggerId: string): Promise<string> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 20_000);
  try {
    for await (const e of h.spine.subscribe({ types: ['run.started'], after: triggerSeq, signal: ac.signal })) if (e.causationId === triggerId) return e.runId!;
  } finally {
    clearTimeout(t);
  }
  throw new Error(`no run started by event ${triggerId}`);
}

const RECORDINGS: Recording[] = [
  {
    name: 'legal-case-from-event',
    about: 'a case.opened event starts the legal case analysis: fan-out to five agents, join all, summary routed to a partner review, approved',
    async run(h) {
      const { seq, id } = await h.spine.publish({ type: 'case.opened', key: 'case:9', source: { kind: 'agent', name: 'intake' }, payload: { facts: 'GDPR breach at a subsidiary', intent: 'Assess the case' } });
      const runId = await runStartedBy(h, seq, id);
      const gate = await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested');
      await h.service.decideApproval((gate.payload as { approvalId: string }).approvalId, { decision: 'approve' }, { name: 'paula' });
      return runId;
    },
  },
  {
    name: 'translation-retried',
    about: 'sentiment fails its first attempt, is retried after a recorded backoff, then the text is translated',
    async run(h) {
      await h.service.agentStore.upsert({ name: 'sentiment', kind: 'builtin', config: { latencyMs: 0, failFirst: 1 } });
      h.service.agents.invalidate();
      try {
        const { runId } = await h.service.startRun('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' }, intent: 'Translate a thank-you' }, 'tom');
        await waitForRun(h.spine, runId);
        return runId;
      } finally {
        await h.service.agentStore.upsert({ name: 'sentiment', kind: 'builtin', config: { latencyMs: 0 } });
        h.service.agents.invalidate();
      }
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
];

const h = await openHarness({ url: await freshDatabaseUrl('sqlite'), agents: { 'label-printer': { latencyMs: 200 } } });
try {
  for (const r of RECORDINGS) {
    const runId = await r.run(h);
    await waitForRun(h.spine, runId);
    const events = await h.service.runEvents(runId);
    const started = events.find((e) => e.type === 'run.started')!;
    const trigger = started.causationId ? (await h.spine.read({ after: 0, limit: 1000 })).find((e) => e.id === started.causationId && e.runId === null) : undefined;
    const all = trigger ? [trigger, ...events] : events;
    const p = started.payload as { workflowId: string; version: number };
    const v = await h.service.workflows.getVersion(p.workflowId, p.version);
    writeFileSync(path.join(OUT, `${r.name}.jsonl`), all.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(path.join(OUT, `${r.name}.workflow.json`), JSON.stringify({ about: r.about, workflowId: v.workflowId, slug: v.slug, version: v.version, document: v.document }, null, 2) + '\n');
    console.log(`${r.name}: ${all.length} events, ${events.at(-1)!.type}`);
  }
} finally {
  await h.close();
}

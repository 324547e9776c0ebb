/**
 * The demo: builtin agents for the article's scenarios and its five workflows, published under stable
 * slugs (`legal-case-analysis`, `procurement`, `booking-vs-cancellation`, `translation-after-sentiment`,
 * `shipping-label`). Idempotent: existing agents and workflows are left as they are.
 */
import type { Json } from '@/server/spine';
import { BUILTIN_BEHAVIOURS } from '@/server/agents';
import type { EngineService } from '@/server/engine';
import { DEMO_TEMPLATES } from '@/server/workflows';

/** Simulated latency per demo agent, so a live run is watchable. */
const DEMO_LATENCY_MS: Record<string, number> = {
  'case-law': 900, 'financial-impact': 700, 'regulatory-risk': 1100, precedent: 800, sentiment: 500, summarizer: 600,
  'legal-review': 700, 'inventory-check': 400, payment: 500, 'booking-desk': 300, translator: 600, 'address-check': 300, 'label-printer': 700,
};

export async function seedDemo(service: EngineService, opts: { latency?: boolean; config?: Record<string, Record<string, Json>> } = {}) {
  const existing = new Set((await service.agentStore.list({ includeRemoved: true })).map((a) => a.name));
  for (const [name, b] of Object.entries(BUILTIN_BEHAVIOURS)) {
    if (existing.has(name) && !opts.config?.[name]) continue;
    const latencyMs = opts.latency === false ? 0 : (DEMO_LATENCY_MS[name] ?? 0);
    await service.agentStore.upsert({ name, kind: 'builtin', description: b.description, config: { latencyMs, ...opts.config?.[name] } });
  }
  service.agents.invalidate();
  const workflows = new Set((await service.workflows.list({ includeArchived: true })).map((w) => w.slug));
  for (const t of DEMO_TEMPLATES) {
    if (workflows.has(t.slug)) continue;
    await service.workflows.create({ name: t.name, slug: t.slug, description: t.description, document: t.document });
    await service.publishWorkflow(t.slug, { summary: 'Demo template', createdBy: 'seed' });
  }
}

/**
 * The demo: builtin agents for the article's scenarios and its five workflows, published under stable
 * slugs (`legal-case-analysis`, `procurement`, `booking-vs-cancellation`, `translation-after-sentiment`,
 * `shipping-label`), and the legal case with LLM specialists (`legal-case-llm`), whose `llm-*` agents are
 * `openai` agents on the endpoint `llm` names (SPINE_OPENAI_BASE_URL at start) or, without one, builtin
 * stand-ins. Idempotent: existing agents and workflows are left as they are, except the `llm-*` agents,
 * which follow the endpoint given at each start.
 */
import type { Json } from '@/server/spine';
import { BUILTIN_BEHAVIOURS } from '@/server/agents';
import type { EngineService } from '@/server/engine';
import { DEMO_TEMPLATES, LLM_LEGAL_AGENTS } from '@/server/workflows';

/** The endpoint the LLM specialists use (from SPINE_OPENAI_BASE_URL / _API_KEY / _MODEL). */
export type LlmEndpoint = { baseUrl: string; model: string; apiKey?: string };

const JSON_ONLY = 'Answer with one JSON object only, no prose around it.';
/** What each LLM specialist is asked; its output fields match its builtin stand-in's, so the workflow reads either. */
const LLM_SPECIALISTS: Record<(typeof LLM_LEGAL_AGENTS)[number], { behaviour: string; system: string; user: string }> = {
  'llm-case-law': { behaviour: 'case-law', system: `You are a legal researcher. Estimate how much case law bears on the case. ${JSON_ONLY} Fields: citations (integer), relevance (0..1), note (string).`, user: 'Case facts: {{input.facts}}\nIntent: {{intent}}' },
  'llm-financial-impact': { behaviour: 'financial-impact', system: `You are a financial analyst. Estimate the financial exposure of the case in euros. ${JSON_ONLY} Fields: exposureEur (number), rationale (string).`, user: 'Case facts: {{input.facts}}' },
  'llm-regulatory-risk': { behaviour: 'regulatory-risk', system: `You are a compliance officer. Rate the regulatory risk. ${JSON_ONLY} Fields: level ("low", "medium" or "high"), reasons (array of strings).`, user: 'Case facts: {{input.facts}}' },
  'llm-precedent': { behaviour: 'precedent', system: `You are a legal researcher. Name precedents with similar facts. ${JSON_ONLY} Fields: precedents (integer), strongest (string).`, user: 'Case facts: {{input.facts}}' },
  'llm-sentiment': { behaviour: 'sentiment', system: `You classify the tone of a case file. ${JSON_ONLY} Fields: sentiment ("positive", "neutral" or "negative"), appropriate (boolean).`, user: 'Case facts: {{input.facts}}' },
  'llm-summarizer': {
    behaviour: 'summarizer',
    system: `You are a senior partner. Summarize the analyses of a legal case and judge its overall risk. ${JSON_ONLY} Fields: risk ("low", "medium" or "high"), summary (string, at most 80 words).`,
    user: 'Analyses: {{json input}}\nIntent: {{intent}}',
  },
};

/** Simulated latency per demo agent, so a live run is watchable. */
const DEMO_LATENCY_MS: Record<string, number> = {
  'case-law': 900, 'financial-impact': 700, 'regulatory-risk': 1100, precedent: 800, sentiment: 500, summarizer: 600,
  'legal-review': 700, 'inventory-check': 400, payment: 500, 'booking-desk': 300, translator: 600, 'address-check': 300, 'label-printer': 700,
};

/**
 * `llm`: the endpoint for the LLM specialists, or null when none is configured (then they are builtin
 * stand-ins, and the seed says so); undefined (tests): stand-ins, silently.
 */
export async function seedDemo(service: EngineService, opts: { latency?: boolean; config?: Record<string, Record<string, Json>>; llm?: LlmEndpoint | null } = {}) {
  const existing = new Set((await service.agentStore.list({ includeRemoved: true })).map((a) => a.name));
  for (const [name, b] of Object.entries(BUILTIN_BEHAVIOURS)) {
    if (existing.has(name) && !opts.config?.[name]) continue;
    const latencyMs = opts.latency === false ? 0 : (DEMO_LATENCY_MS[name] ?? 0);
    await service.agentStore.upsert({ name, kind: 'builtin', description: b.description, config: { latencyMs, ...opts.config?.[name] } });
  }
  for (const name of LLM_LEGAL_AGENTS) {
    const a = LLM_SPECIALISTS[name];
    const description = `${BUILTIN_BEHAVIOURS[a.behaviour]!.description} (LLM specialist of the legal case)`;
    if (opts.llm) {
      await service.agentStore.upsert({
        name, kind: 'openai', description,
        config: { baseUrl: opts.llm.baseUrl, model: opts.llm.model, ...(opts.llm.apiKey && { apiKey: opts.llm.apiKey }), output: 'json', systemPrompt: a.system, userPrompt: a.user, temperature: 0, timeoutMs: 110_000 },
      });
    } else {
      const latencyMs = opts.latency === false ? 0 : (DEMO_LATENCY_MS[a.behaviour] ?? 0);
      await service.agentStore.upsert({ name, kind: 'builtin', description: `${description}: builtin stand-in until SPINE_OPENAI_BASE_URL is set`, config: { behaviour: a.behaviour, latencyMs } });
    }
  }
  if (opts.llm) console.log(`spine demo: 'Legal case with LLM specialists' uses ${opts.llm.model} at ${opts.llm.baseUrl}`);
  else if (opts.llm === null) console.log("spine demo: SPINE_OPENAI_BASE_URL is not set; 'Legal case with LLM specialists' runs with builtin stand-ins");
  service.agents.invalidate();
  const workflows = new Set((await service.workflows.list({ includeArchived: true })).map((w) => w.slug));
  for (const t of DEMO_TEMPLATES) {
    if (workflows.has(t.slug)) continue;
    await service.workflows.create({ name: t.name, slug: t.slug, description: t.description, document: t.document });
    await service.publishWorkflow(t.slug, { summary: 'Demo template', createdBy: 'seed' });
  }
}

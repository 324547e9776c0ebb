import { describe, expect, it } from 'vitest';
import { WORKFLOW_SLUG, WorkflowDocument, edgeHandle } from './schema';
import { DEMO_TEMPLATES } from './templates';
import { parseAndValidate, validateWorkflow } from './validate';

const AGENT_NAMES = new Set([
  'case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer', 'legal-review',
  'inventory-check', 'payment', 'booking-desk', 'translator', 'address-check', 'label-printer',
  'llm-case-law', 'llm-financial-impact', 'llm-regulatory-risk', 'llm-precedent', 'llm-sentiment', 'llm-summarizer',
]);
const bySlug = (slug: string) => DEMO_TEMPLATES.find((t) => t.slug === slug)!;
const agentsOf = (doc: WorkflowDocument) => doc.nodes.flatMap((n) => (n.kind === 'agent' ? [n.config.agent] : []));

describe('demo templates', () => {
  it('are the five scenarios of the article, and the legal case with LLM specialists, under stable slugs', () => {
    expect(DEMO_TEMPLATES.map((t) => t.slug)).toEqual(['legal-case-analysis', 'procurement', 'booking-vs-cancellation', 'translation-after-sentiment', 'shipping-label', 'legal-case-llm']);
    for (const t of DEMO_TEMPLATES) expect(WORKFLOW_SLUG.test(t.slug)).toBe(true);
  });

  it.each(DEMO_TEMPLATES.map((t) => [t.slug, t] as const))('%s is valid with its agents, and only with them', (_slug, t) => {
    expect(validateWorkflow(t.document, { agents: new Set(t.agents) })).toEqual([]);
    expect(new Set(agentsOf(t.document))).toEqual(new Set(t.agents));
    for (const a of t.agents) expect(AGENT_NAMES.has(a)).toBe(true);
    const withoutOne = new Set(t.agents.slice(1));
    expect(validateWorkflow(t.document, { agents: withoutOne }).map((p) => p.code)).toContain('agent.unknown');
  });

  it.each(DEMO_TEMPLATES.map((t) => [t.slug, t] as const))('%s survives export and import unchanged', (_slug, t) => {
    const r = parseAndValidate(JSON.parse(JSON.stringify(t.document)), { agents: new Set(t.agents) });
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual(t.document);
  });

  it.each(DEMO_TEMPLATES.map((t) => [t.slug, t] as const))('%s is laid out left to right without overlaps', (_slug, t) => {
    const pos = new Map(t.document.nodes.map((n) => [n.id, n.position]));
    const keys = new Set(t.document.nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(keys.size).toBe(t.document.nodes.length);
    for (const e of t.document.edges) expect(pos.get(e.target)!.x).toBeGreaterThan(pos.get(e.source)!.x);
    for (const n of t.document.nodes) expect(n.label).toBeTruthy();
  });

  it('legal case analysis: case.opened → five parallel analyses → join all → summarizer → router → approval on high risk', () => {
    const d = bySlug('legal-case-analysis').document;
    const node = (id: string) => d.nodes.find((n) => n.id === id)!;
    expect(node('case-opened')).toMatchObject({ kind: 'trigger', config: { mode: 'event', eventType: 'case.opened' } });
    expect(d.edges.filter((e) => e.source === 'analyse').map((e) => e.target)).toEqual(['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment']);
    expect(node('all-analyses')).toMatchObject({ kind: 'join', config: { mode: 'all' } });
    expect(node('risk')).toMatchObject({ kind: 'router', config: { routes: [{ id: 'high', condition: 'results.summarizer.risk == "high"' }] } });
    expect(d.edges.find((e) => e.source === 'risk' && edgeHandle(e) === 'high')?.target).toBe('partner-review');
  });

  it('procurement: payment is only reachable through the stock router', () => {
    const d = bySlug('procurement').document;
    expect(d.edges.filter((e) => e.target === 'payment')).toEqual([expect.objectContaining({ source: 'stock', sourceHandle: 'in-stock' })]);
    expect(d.nodes.find((n) => n.id === 'amount')).toMatchObject({ config: { routes: [{ condition: expect.stringContaining('input.amount > 10000') }] } });
    expect(d.nodes.filter((n) => n.kind === 'approval').map((n) => n.kind === 'approval' && n.config.role)).toEqual(['approver', 'approver']);
  });

  it('booking vs cancellation starts on booking.* events', () => {
    expect(bySlug('booking-vs-cancellation').document.nodes[0]).toMatchObject({ kind: 'trigger', config: { mode: 'event', eventType: 'booking.*' } });
  });

  it('shipping label re-runs a stale label on the current address', () => {
    const label = bySlug('shipping-label').document.nodes.find((n) => n.id === 'label-printer')!;
    expect(label).toMatchObject({ kind: 'agent', config: { onStale: 'rerun', input: { address: expect.stringContaining('state.address') } } });
  });
});

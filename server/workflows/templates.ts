/**
 * The article's five scenarios as workflow documents (issue 3 §5): seeded by `npm start` under stable slugs,
 * offered by the designer as templates, and valid under `validateWorkflow` with the agents each lists.
 * Laid out left to right, 250 px per step, parallel or alternative branches stacked vertically.
 *
 * Agent outputs are read back as `results.<nodeId>`; node ids with `-` are read with brackets
 * (`results["inventory-check"].inStock`). Inputs with no mapping receive the run input as is.
 */
import { WorkflowDocument, type WorkflowDocumentInput } from './schema';

export type DemoTemplate = { slug: string; name: string; description: string; document: WorkflowDocument; agents: string[] };

type NodeInput = WorkflowDocumentInput['nodes'][number];
type EdgeInput = WorkflowDocumentInput['edges'][number];

const STEP = 250;
const at = (col: number, y: number) => ({ x: col * STEP, y });

/** `[source, target]` or `[source, target, sourceHandle]`; edge ids are derived from them. */
type Link = [string, string] | [string, string, string];

function doc(nodes: NodeInput[], links: Link[]): WorkflowDocument {
  const edges: EdgeInput[] = links.map(([source, target, sourceHandle]) => ({
    id: `e-${source}-${sourceHandle ? `${sourceHandle}-` : ''}${target}`,
    source,
    target,
    ...(sourceHandle !== undefined && { sourceHandle }),
  }));
  return WorkflowDocument.parse({ formatVersion: 1, nodes, edges });
}

const agent = (id: string, col: number, y: number, label: string, config: Record<string, unknown> = {}): NodeInput => ({
  id,
  kind: 'agent',
  label,
  position: at(col, y),
  config: { agent: id, ...config },
});

const LEGAL_BRANCHES = [
  ['case-law', 'Case law'],
  ['financial-impact', 'Financial impact'],
  ['regulatory-risk', 'Regulatory risk'],
  ['precedent', 'Precedent'],
  ['sentiment', 'Sentiment'],
] as const;

/**
 * The legal case: five analyses in parallel, joined, summarized, and a partner review when the summary
 * says high risk. `llm`: the same shape with the `llm-*` agents, started by hand with `{ facts }` (the
 * seed registers them as `openai` agents when SPINE_OPENAI_BASE_URL is set, server/demo/seed.ts, else as
 * builtin stand-ins with the same outputs); the summarizer also gets the facts and the end returns it.
 */
function legalCase(llm: boolean): WorkflowDocument {
  const trigger = llm ? 'case-received' : 'case-opened';
  const via = (id: string) => (llm ? { agent: `llm-${id}`, timeoutMs: 120_000 } : {});
  const named = (label: string) => (llm ? `${label} (LLM)` : label);
  return doc(
    [
      llm
        ? { id: trigger, kind: 'trigger', label: 'Case received', position: at(0, 240), config: { mode: 'manual' } }
        : { id: trigger, kind: 'trigger', label: 'Case opened', position: at(0, 240), config: { mode: 'event', eventType: 'case.opened' } },
      { id: 'analyse', kind: 'fanOut', label: 'Analyse in parallel', position: at(1, 240), config: { mode: 'static' } },
      ...LEGAL_BRANCHES.map(([id, label], i) => agent(id, 2, i * 120, named(label), via(id))),
      { id: 'all-analyses', kind: 'join', label: 'All analyses in', position: at(3, 240), config: { mode: 'all' } },
      agent('summarizer', 4, 240, named('Summarize'), {
        ...via('summarizer'),
        input: {
          ...(llm && { facts: 'input.facts' }),
          caseLaw: 'results["case-law"]',
          financialImpact: 'results["financial-impact"]',
          regulatoryRisk: 'results["regulatory-risk"]',
          precedent: 'results.precedent',
          sentiment: 'results.sentiment',
        },
        outputKey: 'summary',
      }),
      {
        id: 'risk',
        kind: 'router',
        label: 'Risk level',
        position: at(5, 240),
        config: { routes: [{ id: 'high', label: 'High risk', condition: llm ? 'has(results.summarizer.risk) && results.summarizer.risk == "high"' : 'results.summarizer.risk == "high"' }] },
      },
      {
        id: 'partner-review',
        kind: 'approval',
        label: 'Partner review',
        position: at(6, 120),
        config: {
          role: 'approver',
          instructions: llm
            ? 'High-risk case (as the LLM summarizer judged it): review the summary before the analysis is released.'
            : 'High-risk case: review the summary before the analysis is released.',
          slaMs: 86_400_000,
        },
      },
      { id: 'released', kind: 'end', label: 'Released after review', position: at(7, 40), config: { outcome: 'success' } },
      { id: 'withheld', kind: 'end', label: 'Withheld by reviewer', position: at(7, 200), config: { outcome: 'failure' } },
      { id: 'done', kind: 'end', label: 'Released', position: at(6, 360), config: { outcome: 'success', ...(llm && { output: { summary: 'results.summarizer' } }) } },
    ],
    [
      [trigger, 'analyse'],
      ...LEGAL_BRANCHES.map(([id]): Link => ['analyse', id]),
      ...LEGAL_BRANCHES.map(([id]): Link => [id, 'all-analyses']),
      ['all-analyses', 'summarizer'],
      ['summarizer', 'risk'],
      ['risk', 'partner-review', 'high'],
      ['risk', 'done', 'default'],
      ['partner-review', 'released', 'approved'],
      ['partner-review', 'withheld', 'rejected'],
    ],
  );
}

const legalCaseAnalysis = legalCase(false);

/** The agents of the legal case with LLM specialists (legalCase(true)). */
export const LLM_LEGAL_AGENTS = ['llm-case-law', 'llm-financial-impact', 'llm-regulatory-risk', 'llm-precedent', 'llm-sentiment', 'llm-summarizer'] as const;
const legalCaseLlm = legalCase(true);

const procurement = doc(
  [
    { id: 'request', kind: 'trigger', label: 'Purchase request', position: at(0, 200), config: { mode: 'manual' } },
    agent('legal-review', 1, 200, 'Legal review'),
    {
      id: 'contract-approval',
      kind: 'approval',
      label: 'Contract approval',
      position: at(2, 200),
      config: { role: 'approver', instructions: 'Approve the contract terms reviewed by legal.' },
    },
    { id: 'contract-rejected', kind: 'end', label: 'Contract rejected', position: at(3, 360), config: { outcome: 'failure' } },
    {
      id: 'amount',
      kind: 'router',
      label: 'Amount',
      position: at(3, 200),
      config: { routes: [{ id: 'large', label: 'Over 10,000', condition: 'has(input.amount) && input.amount > 10000' }] },
    },
    {
      id: 'extra-approval',
      kind: 'approval',
      label: 'Large purchase approval',
      position: at(4, 80),
      // Four eyes: whoever approved the contract may not approve the large purchase too.
      config: { role: 'approver', requiredApprovals: 1, distinctFrom: ['contract-approval'], instructions: 'The amount is over 10,000: a second approval, by someone other than the contract approver, is required.' },
    },
    { id: 'amount-rejected', kind: 'end', label: 'Large purchase rejected', position: at(5, -40), config: { outcome: 'failure' } },
    { id: 'approved', kind: 'join', label: 'Approved', position: at(5, 200), config: { mode: 'any' } },
    agent('inventory-check', 6, 200, 'Inventory check'),
    {
      id: 'stock',
      kind: 'router',
      label: 'Stock',
      position: at(7, 200),
      config: { routes: [{ id: 'in-stock', label: 'Stock confirmed', condition: 'results["inventory-check"].inStock == true' }] },
    },
    agent('payment', 8, 120, 'Payment'),
    { id: 'paid', kind: 'end', label: 'Paid', position: at(9, 120), config: { outcome: 'success' } },
    { id: 'out-of-stock', kind: 'end', label: 'Out of stock', position: at(8, 300), config: { outcome: 'failure' } },
  ],
  [
    ['request', 'legal-review'],
    ['legal-review', 'contract-approval'],
    ['contract-approval', 'amount', 'approved'],
    ['contract-approval', 'contract-rejected', 'rejected'],
    ['amount', 'extra-approval', 'large'],
    ['amount', 'approved', 'default'],
    ['extra-approval', 'approved', 'approved'],
    ['extra-approval', 'amount-rejected', 'rejected'],
    ['approved', 'inventory-check'],
    ['inventory-check', 'stock'],
    ['stock', 'payment', 'in-stock'],
    ['stock', 'out-of-stock', 'default'],
    ['payment', 'paid'],
  ],
);

const bookingVsCancellation = doc(
  [
    { id: 'booking-event', kind: 'trigger', label: 'Booking or cancellation', position: at(0, 100), config: { mode: 'event', eventType: 'booking.*' } },
    agent('booking-desk', 1, 100, 'Booking desk', { outputKey: 'booking' }),
    { id: 'done', kind: 'end', label: 'Done', position: at(2, 100), config: { outcome: 'success', output: { booking: 'results["booking-desk"]' } } },
  ],
  [
    ['booking-event', 'booking-desk'],
    ['booking-desk', 'done'],
  ],
);

const translationAfterSentiment = doc(
  [
    { id: 'text-received', kind: 'trigger', label: 'Text received', position: at(0, 150), config: { mode: 'manual' } },
    agent('sentiment', 1, 150, 'Sentiment analysis'),
    {
      id: 'appropriate',
      kind: 'router',
      label: 'Appropriate?',
      position: at(2, 150),
      config: { routes: [{ id: 'appropriate', label: 'Appropriate', condition: 'results.sentiment.appropriate == true' }] },
    },
    agent('translator', 3, 60, 'Translate', { input: { text: 'input.text', to: 'has(input.to) ? input.to : "fr"' } }),
    { id: 'translated', kind: 'end', label: 'Translated', position: at(4, 60), config: { outcome: 'success', output: { translation: 'results.translator' } } },
    { id: 'rejected', kind: 'end', label: 'Rejected as inappropriate', position: at(3, 240), config: { outcome: 'failure' } },
  ],
  [
    ['text-received', 'sentiment'],
    ['sentiment', 'appropriate'],
    ['appropriate', 'translator', 'appropriate'],
    ['appropriate', 'rejected', 'default'],
    ['translator', 'translated'],
  ],
);

const shippingLabel = doc(
  [
    { id: 'order-shipped', kind: 'trigger', label: 'Ship order', position: at(0, 100), config: { mode: 'manual' } },
    agent('address-check', 1, 100, 'Address check', { outputKey: 'addressCheck' }),
    // The address patched mid-run (state.address) wins over the one the run started with.
    agent('label-printer', 2, 100, 'Print label', { input: { address: 'has(state.address) ? state.address : input.address' }, onStale: 'rerun' }),
    { id: 'labelled', kind: 'end', label: 'Labelled', position: at(3, 100), config: { outcome: 'success', output: { label: 'results["label-printer"].label' } } },
  ],
  [
    ['order-shipped', 'address-check'],
    ['address-check', 'label-printer'],
    ['label-printer', 'labelled'],
  ],
);

export const DEMO_TEMPLATES: DemoTemplate[] = [
  {
    slug: 'legal-case-analysis',
    name: 'Legal case analysis',
    description: 'A new case fans out to five analyses; when all are in, a summary is written, and high-risk cases wait for a partner review.',
    document: legalCaseAnalysis,
    agents: ['case-law', 'financial-impact', 'regulatory-risk', 'precedent', 'sentiment', 'summarizer'],
  },
  {
    slug: 'procurement',
    name: 'Procurement',
    description: 'Legal review, then contract approval; amounts over 10,000 need a second approval; payment only after inventory has confirmed stock.',
    document: procurement,
    agents: ['legal-review', 'inventory-check', 'payment'],
  },
  {
    slug: 'booking-vs-cancellation',
    name: 'Booking vs cancellation',
    description: 'Bookings and cancellations for the same room (the event key) are processed strictly in order, so a released room is never confirmed.',
    document: bookingVsCancellation,
    agents: ['booking-desk'],
  },
  {
    slug: 'translation-after-sentiment',
    name: 'Translation after sentiment',
    description: 'A text is translated only after sentiment analysis has found it appropriate.',
    document: translationAfterSentiment,
    agents: ['sentiment', 'translator'],
  },
  {
    slug: 'shipping-label',
    name: 'Shipping label',
    description: 'The label is printed for the current address: if the address changes mid-run, a label printed for the old one is re-run.',
    document: shippingLabel,
    agents: ['address-check', 'label-printer'],
  },
  {
    slug: 'legal-case-llm',
    name: 'Legal case with LLM specialists',
    description:
      'The legal case, started by hand with { "facts": "…" }: five analyses and the summary written by language models on any OpenAI-compatible endpoint (set SPINE_OPENAI_BASE_URL, SPINE_OPENAI_MODEL and, if needed, SPINE_OPENAI_API_KEY; e.g. a local Ollama). Without them its agents are builtin stand-ins.',
    document: legalCaseLlm,
    agents: [...LLM_LEGAL_AGENTS],
  },
];

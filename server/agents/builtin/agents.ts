/**
 * Builtin agents: deterministic TypeScript agents for demos, tests and benchmarks. Each reads its input
 * and the envelope and returns JSON; none calls out. Config (per registered agent): `latencyMs` (simulated
 * work, default 0), `failureRate` (0..1 chance of a retryable failure, default 0), `failFirst` (fail the
 * first n attempts, for retry demos).
 */
import type { Json } from '@/server/spine';
import { NonRetryableAgentError } from '../errors';
import type { AgentTask } from '../adapter';

export type BuiltinBehaviour = (task: AgentTask) => Json;

const obj = (v: Json | undefined): Record<string, Json> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
/** The input as lower-case text, computed once per input (the specialists of one run share the run's input). */
const texts = new WeakMap<object, string>();
const text = (t: AgentTask): string => {
  const input = t.input ?? '';
  if (typeof input !== 'object' || input === null) return JSON.stringify(input).toLowerCase();
  let s = texts.get(input);
  if (s === undefined) texts.set(input, (s = JSON.stringify(input).toLowerCase()));
  return s;
};
/** FNV-1a of `salt + s`, in [0, 1), without building that string (the input text is ~2 KiB in bench:engine). */
const hash = (salt: string, s: string): number => {
  let h = 2166136261;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 16777619);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296;
};
const score = (t: AgentTask, salt: string) => Math.round(hash(salt, text(t)) * 100) / 100;

/** Rooms of the simulated hotel system behind `booking-desk`: shared by every run, like a real backend. */
export const hotel = new Map<string, { status: 'free' | 'booked'; bookedBy: string | null; history: string[] }>();

export const BUILTIN_BEHAVIOURS: Record<string, { description: string; run: BuiltinBehaviour }> = {
  echo: { description: 'Returns its input.', run: (t) => ({ echo: t.input }) },
  'case-law': { description: 'Finds case law relevant to a legal case.', run: (t) => ({ citations: 2 + Math.floor(score(t, 'cl') * 5), relevance: score(t, 'cl2') }) },
  'financial-impact': { description: 'Estimates the financial exposure of a case.', run: (t) => ({ exposureEur: Math.round(10_000 + score(t, 'fi') * 490_000) }) },
  'regulatory-risk': {
    description: 'Rates regulatory risk from the case facts.',
    run: (t) => {
      const s = text(t);
      const level = s.includes('gdpr') || s.includes('antitrust') || s.includes('high') ? 'high' : score(t, 'rr') > 0.7 ? 'medium' : 'low';
      return { level };
    },
  },
  precedent: { description: 'Looks for precedents with similar facts.', run: (t) => ({ precedents: Math.floor(score(t, 'pr') * 4), strongest: `Case ${1000 + Math.floor(score(t, 'pr2') * 8999)}` }) },
  sentiment: {
    description: 'Classifies sentiment and whether the text is appropriate to process.',
    run: (t) => {
      const s = text(t);
      const hostile = ['hate', 'abuse', 'threat', 'kill'].some((w) => s.includes(w));
      return { sentiment: hostile ? 'negative' : s.includes('thank') || s.includes('great') ? 'positive' : 'neutral', appropriate: !hostile };
    },
  },
  summarizer: {
    description: 'Composes the results it is given into a summary with an overall risk.',
    run: (t) => {
      const inputs = obj(t.input);
      const all = JSON.stringify(inputs);
      const level = all.includes('"level":"high"') ? 'high' : all.includes('"level":"medium"') ? 'medium' : 'low';
      return { risk: level, summary: `Summary of ${Object.keys(inputs).length} analyses; overall risk ${level}.`, sources: Object.keys(inputs) };
    },
  },
  'legal-review': { description: 'Reviews a contract for legal issues.', run: (t) => ({ approved: !text(t).includes('unlimited liability'), notes: 'Standard terms.' }) },
  'inventory-check': {
    description: 'Confirms stock for an order.',
    run: (t) => {
      const i = obj(t.input);
      const qty = typeof i.quantity === 'number' ? i.quantity : 1;
      return { inStock: qty <= 100, available: 100, requested: qty };
    },
  },
  payment: {
    description: 'Executes a payment (simulated).',
    run: (t) => ({ paid: true, amount: obj(t.input).amount ?? null, reference: `PAY-${t.idempotencyKey.slice(-12)}` }),
  },
  'booking-desk': {
    description: 'Books or releases a room in the (simulated) hotel system; refuses to confirm a booking on a released room.',
    run: (t) => {
      const i = obj(t.input);
      const room = String(i.room ?? t.envelope.state.room ?? 'room');
      const action = String(i.action ?? 'book');
      const r = hotel.get(room) ?? { status: 'free' as const, bookedBy: null, history: [] };
      if (action === 'cancel') {
        const released = r.status === 'booked';
        const next = { status: 'free' as const, bookedBy: null, history: [...r.history, `released:${t.runId}`] };
        hotel.set(room, next);
        return { room, action, result: released ? 'released' : 'nothing-to-release', roomStatus: 'free' };
      }
      if (r.status === 'booked') return { room, action, result: 'unavailable', roomStatus: 'booked' };
      hotel.set(room, { status: 'booked', bookedBy: String(i.guest ?? t.runId), history: [...r.history, `booked:${t.runId}`] });
      return { room, action, result: 'confirmed', roomStatus: 'booked' };
    },
  },
  translator: { description: 'Translates text (simulated: tags it with the target language).', run: (t) => ({ translated: `[${String(obj(t.input).to ?? 'fr')}] ${String(obj(t.input).text ?? '')}` }) },
  'address-check': { description: 'Normalises a shipping address.', run: (t) => ({ address: String(obj(t.input).address ?? t.envelope.state.address ?? '').trim(), valid: true }) },
  'label-printer': {
    description: 'Prints a shipping label for the address in its input.',
    run: (t) => {
      const address = obj(t.input).address ?? t.envelope.state.address;
      if (!address) throw new NonRetryableAgentError('no address to print');
      return { label: `LABEL[${String(address)}]`, address, envelopeVersion: t.envelope.version };
    },
  },
};

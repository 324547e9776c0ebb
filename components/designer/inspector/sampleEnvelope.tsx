'use client';
/**
 * The sample envelope expression previews evaluate against: editable JSON with the names an expression
 * sees (input, state, intent, constraints, results, item, now). Once edited it is kept per workflow in
 * localStorage and parsed with zod on the way back in; a sample that does not parse is shown with its error
 * and previews pause.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { z } from 'zod';
import type { ExpressionContext } from '@/server/workflows/expressions';

const Sample = z
  .object({
    input: z.unknown().optional(),
    state: z.record(z.string(), z.unknown()).optional(),
    intent: z.string().nullable().optional(),
    constraints: z.record(z.string(), z.unknown()).optional(),
    results: z.record(z.string(), z.unknown()).optional(),
    item: z.unknown().optional(),
    now: z.string().optional(),
  })
  .strict();

export function defaultSample(resultIds: readonly string[]): string {
  const sample = {
    input: { facts: 'GDPR complaint about a subsidiary', amount: 12000 },
    state: {},
    intent: 'Assess the case',
    constraints: {},
    results: Object.fromEntries(resultIds.map((id) => [id, {}])),
  };
  return JSON.stringify(sample, null, 2);
}

export function parseSample(text: string): { context: ExpressionContext | null; error: string | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { context: null, error: `Not JSON: ${(e as Error).message}` };
  }
  const r = Sample.safeParse(raw);
  if (!r.success) return { context: null, error: r.error.issues.map((i) => `${i.path.join('.') || 'sample'}: ${i.message}`).join('; ') };
  const s = r.data;
  return {
    context: {
      input: s.input ?? {},
      state: s.state ?? {},
      intent: s.intent ?? null,
      constraints: s.constraints ?? {},
      results: s.results ?? {},
      ...(s.item !== undefined && { item: s.item }),
      now: s.now ?? new Date().toISOString(),
    },
    error: null,
  };
}

type SampleValue = { text: string; setText(t: string): void; reset(): void; custom: boolean; context: ExpressionContext | null; error: string | null };
const SampleContext = createContext<SampleValue | null>(null);

/**
 * Until the user edits it, the sample follows the workflow (`fallback`: one empty result per agent node);
 * once edited it is kept in localStorage under `storageKey`.
 */
export function SampleEnvelopeProvider({ storageKey, fallback, children }: { storageKey: string; fallback: string; children: ReactNode }) {
  const [custom, setCustom] = useState<string | null>(null);
  useEffect(() => {
    try {
      const saved = localStorage.getItem(storageKey);
      if (saved !== null && saved.length < 200_000) setCustom(saved);
    } catch {
      // Storage unavailable: the default sample stays.
    }
  }, [storageKey]);
  const text = custom ?? fallback;
  const parsed = useMemo(() => parseSample(text), [text]);
  const value = useMemo<SampleValue>(
    () => ({
      text,
      custom: custom !== null,
      setText(t) {
        setCustom(t);
        try {
          localStorage.setItem(storageKey, t);
        } catch {
          // Storage unavailable or full: the sample lives for this page only.
        }
      },
      reset() {
        setCustom(null);
        try {
          localStorage.removeItem(storageKey);
        } catch {
          // Nothing stored.
        }
      },
      ...parsed,
    }),
    [text, custom, parsed, storageKey],
  );
  return <SampleContext.Provider value={value}>{children}</SampleContext.Provider>;
}

export function useSample(): SampleValue {
  const v = useContext(SampleContext);
  if (!v) throw new Error('useSample needs a <SampleEnvelopeProvider>');
  return v;
}

/**
 * Evaluations: a candidate agent version re-run on a workflow's latest completed runs as forks (everything
 * before the agent's first task reused, agents with side effects held), each compared with its origin, and
 * the person's decision afterwards (ship, or roll back to the version the runs used). Recorded as
 * `evaluation.*` events. One evaluation service per engine (`evaluationsOf`), so the process that started
 * an evaluation knows it is running. Callers import `@/server/evaluations`.
 *
 * @example
 * const ev = evaluationsOf(engine, spine);
 * const { evaluationId } = await ev.start('legal-case', { agent: 'summarizer', version: 3, lastN: 50 }, { kind: 'user', name: 'ada' });
 * const view = await ev.get(evaluationId); // view.rows, view.summary
 */
import type { Spine } from '@/server/spine';
import type { EngineService } from '@/server/engine';
import { createEvaluations, type Evaluations } from './evaluations';

export { createEvaluations, StartEvaluationInput, MAX_EVALUATION_RUNS, MAX_EVALUATION_CONCURRENCY, EVALUATION_STATUSES, type Evaluations, type EvaluationView, type EvaluationStatus, type EvaluationDecision } from './evaluations';
export { compareRuns, summarize, outcomeOf, type EvaluationRow, type EvaluationSummary } from './results';

// Kept on globalThis: Next.js may bundle each route apart, and every route must see the same running evaluations.
const slot = globalThis as unknown as { [k: symbol]: WeakMap<EngineService, Evaluations> | undefined };
const KEY = Symbol.for('spine.evaluations');
const perEngine = (slot[KEY] ??= new WeakMap<EngineService, Evaluations>());

/** The evaluation service of an engine (made on first use, then kept). */
export function evaluationsOf(engine: EngineService, spine: Spine): Evaluations {
  let ev = perEngine.get(engine);
  if (!ev) perEngine.set(engine, (ev = createEvaluations({ engine, spine })));
  return ev;
}

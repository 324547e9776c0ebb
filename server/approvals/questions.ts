/**
 * Agents' questions: the human steps an agent asks for while it works (an A2A task in `input-required`,
 * recorded by the dispatcher as `task.input_required` with a `questionId`), shown in the approvals inbox
 * beside the approvals, and their answers. A question is open while its task attempt is still running and
 * nobody has answered it; an answer is `task.input_provided` (source: the person; cause: the question),
 * which the waiting agent call picks up and sends back to the agent. The answer's idempotency key is the
 * question's, so of two people answering at once one is told it was answered already (409).
 * Operators answer (the role that steers runs).
 */
import { z } from 'zod';
import { hasRole, type Actor } from '@/server/auth/roles';
import { ConflictError, ForbiddenError, NotFoundError } from '@/server/errors';
import type { EngineService } from '@/server/engine';
import { sourceOf, type Json, type Spine, type SpineEvent } from '@/server/spine';

/** How many of the newest questions the inbox looks at. */
const QUESTIONS_SCANNED = 200;

export type AgentQuestionView = {
  questionId: string; runId: string; nodeId: string; attempt: number; agent: string; question: string; data: Json | null; askedAt: string; workflowSlug: string; canAnswer: boolean;
};

export const AnswerInput = z.object({ runId: z.string().min(1).max(128), questionId: z.string().min(1).max(400), answer: z.json() }).strict();
export type AnswerInput = z.input<typeof AnswerInput>;

type Asked = { nodeId: string; attempt: number; agent: string; questionId: string; message?: string; data?: Json };

export function createAgentQuestions(deps: { engine: EngineService; spine: Spine }) {
  const { engine, spine } = deps;

  /** The question and whether it is still open (its attempt running, not answered). */
  async function state(runId: string, questionId: string): Promise<{ asked: SpineEvent; open: boolean; answered: boolean; slug: string }> {
    const events = await engine.runEvents(runId);
    const asked = events.find((e) => e.type === 'task.input_required' && (e.payload as Asked).questionId === questionId);
    if (!asked) throw new NotFoundError('question.not_found', `Run '${runId}' has no question '${questionId}'`, { runId, questionId });
    const answered = events.some((e) => e.type === 'task.input_provided' && (e.payload as { questionId?: string }).questionId === questionId);
    const f = await engine.fold(runId);
    const p = asked.payload as Asked;
    const node = f?.state.nodes[p.nodeId];
    const open = !answered && f?.state.status === 'running' && node?.status === 'running' && node.attempt === p.attempt;
    return { asked, open, answered, slug: f?.state.slug ?? '' };
  }

  return {
    /** The open questions, newest first. */
    async open(actor: Actor): Promise<AgentQuestionView[]> {
      const recent = await spine.read({ after: 0, limit: QUESTIONS_SCANNED, descending: true, filter: { types: ['task.input_required'] } });
      const out: AgentQuestionView[] = [];
      for (const e of recent) {
        const p = e.payload as Asked;
        if (!e.runId || typeof p.questionId !== 'string') continue;
        const s = await state(e.runId, p.questionId);
        if (!s.open) continue;
        out.push({ questionId: p.questionId, runId: e.runId, nodeId: p.nodeId, attempt: p.attempt, agent: p.agent, question: p.message ?? '', data: p.data ?? null, askedAt: e.time, workflowSlug: s.slug, canAnswer: hasRole(actor, 'operator') });
      }
      return out;
    },

    /** Answers an open question (operators); 409 `question.closed` when it was answered or its task ended. */
    async answer(raw: AnswerInput, actor: Actor): Promise<{ questionId: string; seq: number }> {
      const input = AnswerInput.parse(raw);
      if (!hasRole(actor, 'operator')) throw new ForbiddenError('question.forbidden', 'Answering an agent’s question needs the operator role');
      const s = await state(input.runId, input.questionId);
      if (!s.open) throw new ConflictError('question.closed', s.answered ? 'This question was answered already' : 'The task that asked this question has ended', { questionId: input.questionId });
      const p = s.asked.payload as Asked;
      const [r] = await spine.append([{
        type: 'task.input_provided', runId: input.runId, source: sourceOf(actor), causationId: s.asked.id, idempotencyKey: `answer:${input.questionId}`,
        payload: { nodeId: p.nodeId, attempt: p.attempt, questionId: input.questionId, answer: input.answer as Json, actor: actor.name },
        ...(s.asked.key && { key: s.asked.key }),
      }]);
      if (r!.duplicate) throw new ConflictError('question.closed', 'This question was answered already', { questionId: input.questionId });
      return { questionId: input.questionId, seq: r!.seq };
    },
  };
}
export type AgentQuestions = ReturnType<typeof createAgentQuestions>;

'use client';
/**
 * Agents asking for input (an A2A agent whose task is `input-required`), above the approvals: the
 * question, the run and step it comes from, and, for operators, an answer box. The answer (plain text, or
 * a JSON object for structured data) is sent back to the agent's task (server/approvals/questions.ts).
 * Refreshed every 5 s; nothing shows while no agent asks.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { Badge, Button, Card, CardContent, ErrorNote, inputClass, toast } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { AgentQuestionView } from '@/server/approvals';
import { answerOf } from './answer';
import { JsonBlock } from './JsonBlock';

export function AgentQuestions() {
  const trpc = useTRPC();
  const questions = useQuery(trpc.approvals.questions.queryOptions(undefined, { refetchInterval: 5_000 }));
  if (!questions.data || questions.data.length === 0) return null;
  return (
    <section aria-label="Agents asking for input" data-testid="agent-questions" className="space-y-3">
      <div className="flex items-center gap-2">
        <h2 className="text-sm font-semibold tracking-tight">Agents asking for input</h2>
        <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">{questions.data.length}</span>
      </div>
      {questions.data.map((q) => (
        <QuestionCard key={q.questionId} q={q} />
      ))}
    </section>
  );
}

function QuestionCard({ q }: { q: AgentQuestionView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const answer = useMutation(
    trpc.approvals.answer.mutationOptions({
      onSuccess: async () => {
        toast(`Answer sent to ${q.agent}.`, { tone: 'success' });
        await queryClient.invalidateQueries(trpc.approvals.questions.queryFilter());
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === '') return;
    answer.mutate({ runId: q.runId, questionId: q.questionId, answer: answerOf(text) as never });
  };
  const id = `answer-${q.questionId}`;
  return (
    <Card data-testid="agent-question" data-question-id={q.questionId}>
      <CardContent className="space-y-3 py-4 text-sm">
        <div className="flex flex-wrap items-center gap-2">
          <Badge tone="warning">input required</Badge>
          <span className="font-medium">{q.agent}</span>
          <span className="text-zinc-500">
            at <span className="font-mono text-xs">{q.nodeId}</span> of{' '}
            <Link href={`/runs/${encodeURIComponent(q.runId)}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
              {q.workflowSlug || q.runId}
            </Link>
          </span>
          <span className="ml-auto text-xs text-zinc-500">{new Date(q.askedAt).toLocaleString()}</span>
        </div>
        <p data-testid="agent-question-text" className="text-base">
          {q.question}
        </p>
        {q.data !== null && <JsonBlock value={q.data} label="What the agent sent with its question" />}
        {q.canAnswer ? (
          <form onSubmit={submit} className="flex flex-wrap items-start gap-2" aria-label={`Answer ${q.agent}`}>
            <label htmlFor={id} className="sr-only">
              Answer
            </label>
            <textarea id={id} value={text} onChange={(e) => setText(e.target.value)} placeholder="Plain text, or a JSON object for structured data" className={`${inputClass} h-auto min-h-16 flex-1 py-2`} data-testid="agent-answer" />
            <Button type="submit" variant="primary" disabled={answer.isPending || text.trim() === ''} data-testid="agent-answer-send">
              {answer.isPending ? 'Sending…' : 'Send answer'}
            </Button>
          </form>
        ) : (
          <p className="text-xs text-zinc-500">Operators answer agents’ questions.</p>
        )}
        {answer.isError && <ErrorNote error={answer.error} />}
      </CardContent>
    </Card>
  );
}

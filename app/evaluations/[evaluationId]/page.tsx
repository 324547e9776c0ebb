import type { Metadata } from 'next';
import { EvaluationPage } from '@/components/evaluations/EvaluationPage';
import { requireSession } from '@/components/trpc/server';

export const metadata: Metadata = { title: 'Evaluation' };

export default async function Evaluation({ params }: { params: Promise<{ evaluationId: string }> }) {
  const raw = (await params).evaluationId;
  await requireSession(`/evaluations/${raw}`);
  return <EvaluationPage evaluationId={decodeURIComponent(raw)} />;
}

import type { Metadata } from 'next';
import { ApprovalsInbox } from '@/components/approvals/ApprovalsInbox';

export const metadata: Metadata = { title: 'Approvals' };

export default function ApprovalsPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Approvals</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
          Runs waiting for a person: what they intend, how they got here, and what each answer leads to.
        </p>
      </div>
      <ApprovalsInbox />
    </div>
  );
}

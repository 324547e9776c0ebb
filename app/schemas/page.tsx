import type { Metadata } from 'next';
import { SchemasPage } from '@/components/contracts/SchemasPage';

export const metadata: Metadata = { title: 'Schemas' };

export default function Schemas() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Event schemas</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Contracts for event types: what a published event must hold, versioned, and checked against every workflow that reads it.</p>
      </div>
      <SchemasPage />
    </div>
  );
}

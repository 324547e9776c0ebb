'use client';
import { useState } from 'react';
import { Button } from '@/components/ui';

/**
 * The run's W3C trace id (every task of the run is a span in it; agents that join the trace add theirs):
 * copyable, and a link to the trace viewer when SPINE_TRACE_URL names one. Copying uses the Clipboard API;
 * where that is refused the id stays selectable.
 */
export function RunTraceId({ traceId, traceUrl }: { traceId: string; traceUrl: string | null }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(traceId);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <p className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-zinc-500">
      <span>Trace</span>
      {traceUrl ? (
        <a href={traceUrl} target="_blank" rel="noreferrer" className="font-mono break-all text-indigo-600 select-all hover:underline dark:text-indigo-400" data-testid="run-trace-id" title="Open the trace">
          {traceId}
        </a>
      ) : (
        <code className="font-mono break-all select-all" data-testid="run-trace-id">
          {traceId}
        </code>
      )}
      <Button size="sm" variant="ghost" className="h-6 px-1.5 text-xs" onClick={() => void copy()} aria-label="Copy the trace id">
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Select to copy' : 'Copy'}
      </Button>
    </p>
  );
}

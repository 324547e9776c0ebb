'use client';
import { useState } from 'react';
import { Button } from '@/components/ui';

/**
 * A new key's secret, shown once: Spine keeps only its hash, so closing this panel is the last chance to
 * copy it. Copying uses the Clipboard API; where that is refused the text stays selectable.
 */
export function SecretOnce({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <div role="region" aria-label="New API key" data-testid="new-key-secret" className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-900/70 dark:bg-amber-950/30">
      <p className="text-sm font-medium text-amber-900 dark:text-amber-200">
        Copy the key “{name}” now. It is shown only this once; Spine stores only its hash.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="new-key-value" className="min-w-0 flex-1 rounded-md bg-white px-3 py-2 font-mono text-xs break-all select-all dark:bg-zinc-950">
          {secret}
        </code>
        <Button size="sm" onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </Button>
        <Button size="sm" variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
      {copied === 'failed' && <p className="text-xs text-amber-900 dark:text-amber-200">The browser refused the clipboard: select the key and copy it by hand.</p>}
    </div>
  );
}

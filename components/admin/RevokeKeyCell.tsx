'use client';
/**
 * The last cell of an API key's row (the settings' keys, an agent's keys): "revoked" once revoked, else
 * Revoke, asked twice (Confirm revoke / Keep), with the error under it when revoking fails.
 */
import { useState } from 'react';
import { Badge, Button, ErrorNote } from '@/components/ui';

export function RevokeKeyCell({ revokedAt, revoke }: { revokedAt: string | null; revoke: { mutate: () => void; isPending: boolean; isError: boolean; error: unknown } }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <td className="py-2.5 text-right">
      {revokedAt ? (
        <Badge tone="danger" title={`Revoked ${new Date(revokedAt).toLocaleString()}`}>
          revoked
        </Badge>
      ) : confirming ? (
        <span className="inline-flex gap-1">
          <Button size="sm" className="border-rose-300 text-rose-700 dark:border-rose-900 dark:text-rose-300" disabled={revoke.isPending} onClick={revoke.mutate}>
            Confirm revoke
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
            Keep
          </Button>
        </span>
      ) : (
        <Button size="sm" onClick={() => setConfirming(true)}>
          Revoke
        </Button>
      )}
      {revoke.isError && <ErrorNote error={revoke.error} />}
    </td>
  );
}

'use client';
/** API keys: prefix, scopes, who created it, when it was last used, and revoking (asked twice). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorNote, Skeleton, Table, TableBody, TableHead, Th } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { PublicApiKey } from '@/server/auth';
import { describePatterns } from './patterns';
import { RevokeKeyCell } from './RevokeKeyCell';

export function ApiKeysPanel() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.admin.keys.list.queryOptions());
  if (keys.isPending) return <Skeleton className="h-24 w-full" />;
  if (keys.isError) return <ErrorNote error={keys.error} context="Could not load API keys" />;
  if (keys.data.length === 0) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No API keys yet.</p>;
  return (
    <Table testId="keys-table">
      <TableHead>
        <Th className="py-2 pr-3">Name</Th>
        <Th className="py-2 pr-3">Key</Th>
        <Th className="py-2 pr-3">Scopes</Th>
        <Th className="py-2 pr-3">Created</Th>
        <Th className="py-2 pr-3">Last used</Th>
        <Th className="py-2">
          <span className="sr-only">Status</span>
        </Th>
      </TableHead>
      <TableBody>
        {keys.data.map((k) => (
          <KeyRow key={k.id} apiKey={k} />
        ))}
      </TableBody>
    </Table>
  );
}

function KeyRow({ apiKey: k }: { apiKey: PublicApiKey }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.admin.keys.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.admin.keys.list.queryFilter()) }));
  const s = k.scopes;
  return (
    <tr data-testid="key-row" data-name={k.name} data-state={k.revokedAt ? 'revoked' : 'active'} className="align-top">
      <td className="py-2.5 pr-3 font-medium">{k.name}</td>
      <td className="py-2.5 pr-3 font-mono text-xs">{k.prefix}…</td>
      <td className="py-2.5 pr-3 text-xs text-zinc-600 dark:text-zinc-300">
        <p>publish: {describePatterns(s.publish)}</p>
        <p>read: {describePatterns(s.subscribe)}</p>
        <p>
          {s.startRuns ? 'starts runs' : 'no runs'} · roles: {s.roles.length ? s.roles.join(', ') : 'none'}
        </p>
      </td>
      <td className="py-2.5 pr-3 text-xs text-zinc-600 dark:text-zinc-300">
        {new Date(k.createdAt).toLocaleString()}
        <span className="block text-zinc-500 dark:text-zinc-400">by {k.createdBy}</span>
      </td>
      <td data-testid="key-last-used" className="py-2.5 pr-3 text-xs text-zinc-600 dark:text-zinc-300">
        {k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : 'never'}
      </td>
      <RevokeKeyCell revokedAt={k.revokedAt} revoke={{ ...revoke, mutate: () => revoke.mutate({ keyId: k.id }) }} />
    </tr>
  );
}

'use client';
/**
 * An agent's keys (architect or admin): the keys bound to this agent, making one (a label and the event
 * types it declares it publishes; the secret is shown once) and revoking one (asked twice). An sdk agent
 * process serves the agent with such a key (packages/sdk).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ErrorNote, Field, inputClass, Skeleton, SubmitButton, Table, TableBody, TableHead, Th } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { describePatterns, parsePatterns } from '@/components/admin/patterns';
import { SecretOnce } from '@/components/admin/SecretOnce';
import type { PublicApiKey } from '@/server/auth';
import { RevokeKeyCell } from '@/components/admin/RevokeKeyCell';

export function AgentKeysPanel({ agent }: { agent: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.agentKeys.list.queryOptions({ agent }));
  const [label, setLabel] = useState('');
  const [publish, setPublish] = useState('');
  const [fresh, setFresh] = useState<{ name: string; secret: string } | null>(null);
  const refresh = () => void queryClient.invalidateQueries(trpc.agentKeys.list.queryFilter({ agent }));
  const create = useMutation(
    trpc.agentKeys.create.mutationOptions({
      onSuccess: (k) => {
        setFresh({ name: k.name, secret: k.secret });
        setLabel('');
        setPublish('');
        refresh();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setFresh(null);
    create.mutate({ agent, ...(label.trim() && { label: label.trim() }), publish: parsePatterns(publish) });
  }
  return (
    <section aria-label="Agent keys" data-testid="agent-keys" className="space-y-4">
      {fresh && <SecretOnce name={fresh.name} secret={fresh.secret} onDone={() => setFresh(null)} />}
      {keys.isPending ? (
        <Skeleton className="h-16 w-full" />
      ) : keys.isError ? (
        <ErrorNote error={keys.error} context="Could not load this agent's keys" />
      ) : keys.data.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">No keys yet: an SDK process needs one to serve this agent.</p>
      ) : (
        <Table testId="agent-keys-table">
          <TableHead>
            <Th className="py-2 pr-3">Name</Th>
            <Th className="py-2 pr-3">Key</Th>
            <Th className="py-2 pr-3">May publish</Th>
            <Th className="py-2 pr-3">Last used</Th>
            <Th className="py-2">
              <span className="sr-only">Status</span>
            </Th>
          </TableHead>
          <TableBody>
            {keys.data.map((k) => (
              <AgentKeyRow key={k.id} agent={agent} apiKey={k} onRevoked={refresh} />
            ))}
          </TableBody>
        </Table>
      )}
      <form onSubmit={submit} aria-label="Create agent key" className="grid gap-4 sm:grid-cols-3">
        <Field label="Label" htmlFor="agent-key-label" hint="Optional, e.g. “prod”.">
          <input id="agent-key-label" maxLength={60} autoComplete="off" value={label} onChange={(e) => setLabel(e.target.value)} className={inputClass} />
        </Field>
        <Field label="Declares it publishes" htmlFor="agent-key-publish" hint="Event type patterns, e.g. case.note; empty: none.">
          <input id="agent-key-publish" autoComplete="off" value={publish} onChange={(e) => setPublish(e.target.value)} className={inputClass} />
        </Field>
        <div className="flex items-end">
          <SubmitButton pending={create.isPending} pendingLabel="Creating…">
            Create agent key
          </SubmitButton>
        </div>
        {create.isError && <ErrorNote testId="create-agent-key-error" error={create.error} />}
      </form>
    </section>
  );
}

function AgentKeyRow({ agent, apiKey: k, onRevoked }: { agent: string; apiKey: PublicApiKey; onRevoked: () => void }) {
  const trpc = useTRPC();
  const revoke = useMutation(trpc.agentKeys.revoke.mutationOptions({ onSuccess: onRevoked }));
  return (
    <tr data-testid="agent-key-row" data-name={k.name} data-state={k.revokedAt ? 'revoked' : 'active'} className="align-top">
      <td className="py-2.5 pr-3 font-medium">{k.name}</td>
      <td className="py-2.5 pr-3 font-mono text-xs">{k.prefix}…</td>
      <td className="py-2.5 pr-3 text-xs text-zinc-600 dark:text-zinc-300">{describePatterns(k.scopes.publish)}</td>
      <td className="py-2.5 pr-3 text-xs text-zinc-600 dark:text-zinc-300">{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : 'never'}</td>
      <RevokeKeyCell revokedAt={k.revokedAt} revoke={{ ...revoke, mutate: () => revoke.mutate({ agent, keyId: k.id }) }} />
    </tr>
  );
}

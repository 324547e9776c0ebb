'use client';
/**
 * The agent registry (`/agents`): every agent with its health over the last hour, "Add agent" for
 * architects, and an agent's detail (edit, versions, remove; evaluate a version on a workflow's recent runs,
 * for operators and architects) in a dialog. Health refreshes every 10 s.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge, Button, Card, CardContent, ErrorNote, Modal, Skeleton, Table, TableBody, TableHead, Th, Toasts, toast, useClock } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { useActor } from '@/components/auth/useActor';
import { AgentForm } from './AgentForm';
import { a2aCardSummary, a2aSkillsOf, configShown, draftOf, outputFields } from './agentDraft';
import { ago, HealthBadge, ms, percent } from './HealthBadge';
import { AgentKeysPanel } from './AgentKeysPanel';
import { EvaluateForm } from '@/components/evaluations/EvaluateForm';

export function AgentsPage() {
  const trpc = useTRPC();
  const { can } = useActor();
  const [showRemoved, setShowRemoved] = useState(false);
  const agents = useQuery(trpc.agents.list.queryOptions({ includeRemoved: showRemoved }));
  const health = useQuery(trpc.agents.health.queryOptions(undefined, { refetchInterval: 10_000 }));
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const now = useClock(5_000);
  const byName = new Map((health.data ?? []).map((h) => [h.agent, h]));
  const mayChange = can('architect');

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
          <input type="checkbox" checked={showRemoved} onChange={(e) => setShowRemoved(e.target.checked)} /> Show removed
        </label>
        <div className="ml-auto">
          {mayChange && (
            <Button variant="primary" onClick={() => setAdding(true)} data-testid="add-agent">
              Add agent
            </Button>
          )}
        </div>
      </div>
      <Card>
        <CardContent className="p-0">
          {agents.isPending ? (
            <Skeleton className="m-5 h-24" />
          ) : agents.isError ? (
            <div className="p-5">
              <ErrorNote error={agents.error} context="Could not load the registry" />
            </div>
          ) : agents.data.length === 0 ? (
            <p className="p-5 text-sm text-zinc-500">No agents yet.</p>
          ) : (
            <Table testId="agents-table" label="Agents">
              <TableHead>
                <Th className="px-5 py-2">Agent</Th>
                <Th>Kind</Th>
                <Th>Health</Th>
                <Th>Last seen</Th>
                <Th right>In flight</Th>
                <Th right>Success</Th>
                <Th right>p50 / p95</Th>
                <Th>Last error</Th>
              </TableHead>
              <TableBody>
                {agents.data.map((a) => {
                  const h = byName.get(a.name);
                  const fields = outputFields(a.outputSchema);
                  const skills = a.skills;
                  return (
                    <tr key={a.name} data-testid={`agent-row-${a.name}`} className={a.removed ? 'opacity-60' : undefined}>
                      <td className="px-5 py-2 align-top">
                        <button type="button" className="font-medium text-indigo-700 hover:underline dark:text-indigo-300" onClick={() => setOpen(a.name)}>
                          {a.name}
                        </button>
                        <span className="ml-1.5 text-xs text-zinc-500">v{a.version}</span>
                        {a.removed && <Badge className="ml-1.5">removed</Badge>}
                        {a.description && <p className="max-w-xs truncate text-xs text-zinc-500 dark:text-zinc-400">{a.description}</p>}
                        {(a.capabilities.length > 0 || fields.length > 0) && (
                          <p className="mt-0.5 flex flex-wrap gap-1">
                            {a.capabilities.map((c) => (
                              <Badge key={c} tone="info">
                                {c}
                              </Badge>
                            ))}
                            {fields.length > 0 && <span className="font-mono text-[11px] text-zinc-500">→ {fields.join(', ')}</span>}
                          </p>
                        )}
                        {skills.length > 0 && (
                          <p className="mt-0.5 flex flex-wrap gap-1" data-testid={`agent-skills-${a.name}`}>
                            {skills.map((sk) => (
                              <Badge key={sk.id} title={sk.description}>
                                skill: {sk.name}
                              </Badge>
                            ))}
                          </p>
                        )}
                      </td>
                      <td className="px-3 py-2 align-top">{a.kind}</td>
                      <td className="px-3 py-2 align-top">{a.removed ? '—' : <HealthBadge agent={a.name} status={h?.status} reason={h?.reason} />}</td>
                      <td className="px-3 py-2 align-top text-xs text-zinc-500">{h ? ago(h.lastSeenMs, now) : '—'}</td>
                      <td className="px-3 py-2 text-right align-top tabular-nums">{h?.inFlight ?? '—'}</td>
                      <td className="px-3 py-2 text-right align-top tabular-nums" data-testid={`agent-success-${a.name}`}>
                        {percent(h?.successRate)}
                      </td>
                      <td className="px-3 py-2 text-right align-top tabular-nums">
                        {ms(h?.p50)} / {ms(h?.p95)}
                      </td>
                      <td className="max-w-[14rem] truncate px-3 py-2 align-top text-xs text-rose-700 dark:text-rose-400" title={h?.lastError?.message}>
                        {h?.lastError?.message ?? ''}
                      </td>
                    </tr>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      <Modal open={adding} onClose={() => setAdding(false)} title="Add agent" description="Registered agents can be picked in any workflow's agent nodes." className="w-[min(44rem,calc(100vw-2rem))]" data-testid="add-agent-dialog">
        {adding && <AgentForm onDone={() => setAdding(false)} />}
      </Modal>
      <Modal open={open !== null} onClose={() => setOpen(null)} title={open ?? ''} className="w-[min(44rem,calc(100vw-2rem))]" data-testid="agent-detail">
        {open && <AgentDetail name={open} mayChange={mayChange} mayEvaluate={can('operator') || can('architect')} onClose={() => setOpen(null)} />}
      </Modal>
      <Toasts />
    </div>
  );
}

function AgentDetail({ name, mayChange, mayEvaluate, onClose }: { name: string; mayChange: boolean; mayEvaluate: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const agent = useQuery(trpc.agents.get.queryOptions({ name }));
  const versions = useQuery(trpc.agents.versions.queryOptions({ name }));
  const [editing, setEditing] = useState(false);
  const remove = useMutation(
    trpc.agents.remove.mutationOptions({
      onSuccess: async () => {
        toast(`Removed ${name}.`, { tone: 'success' });
        await queryClient.invalidateQueries(trpc.agents.pathFilter());
        onClose();
      },
    }),
  );
  if (agent.isPending) return <Skeleton className="h-32" />;
  if (agent.isError) return <ErrorNote error={agent.error} />;
  const a = agent.data;
  const card = a.kind === 'a2a' ? a2aCardSummary(a.config) : null;
  const skills = a.kind === 'a2a' ? a2aSkillsOf(a.config) : [];
  if (editing) return <AgentForm initial={draftOf(a)} onDone={() => setEditing(false)} />;
  return (
    <div className="space-y-4 text-sm">
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1.5">
        <dt className="text-zinc-500">Kind</dt>
        <dd>{a.kind}</dd>
        <dt className="text-zinc-500">Version</dt>
        <dd data-testid="agent-version">{a.version}</dd>
        <dt className="text-zinc-500">Description</dt>
        <dd>{a.description || '—'}</dd>
        <dt className="text-zinc-500">Side effects</dt>
        <dd data-testid="agent-side-effects-shown">{a.sideEffects ? 'yes: forks never call it unless they allow side effects' : 'none declared'}</dd>
        <dt className="text-zinc-500">Limits</dt>
        <dd className="font-mono text-xs">{Object.keys(a.limits).length ? JSON.stringify(a.limits) : 'none'}</dd>
        <dt className="text-zinc-500">Config</dt>
        <dd>
          <pre className="overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-950">{JSON.stringify(configShown(a.kind, a.config), null, 2)}</pre>
        </dd>
        {card && (
          <>
            <dt className="text-zinc-500">Agent Card</dt>
            <dd data-testid="agent-card">
              {card.name} {card.version && <span className="text-xs text-zinc-500">v{card.version}</span>} <span className="font-mono text-xs text-zinc-500">{card.url}</span>
              {card.streaming && <Badge className="ml-1.5">streaming</Badge>}
            </dd>
            <dt className="text-zinc-500">Skills</dt>
            <dd>
              <ul data-testid="agent-skills" className="space-y-1">
                {skills.length === 0 && <li className="text-zinc-500">none declared</li>}
                {skills.map((sk) => (
                  <li key={sk.id}>
                    <span className="font-medium">{sk.name}</span> <span className="font-mono text-xs text-zinc-500">{sk.id}</span>
                    {sk.description && <p className="text-xs text-zinc-500">{sk.description}</p>}
                    {sk.tags.length > 0 && (
                      <p className="mt-0.5 flex flex-wrap gap-1">
                        {sk.tags.map((t) => (
                          <Badge key={t} tone="info">
                            {t}
                          </Badge>
                        ))}
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {a.outputSchema !== null && (
          <>
            <dt className="text-zinc-500">Output fields</dt>
            <dd className="font-mono text-xs">{outputFields(a.outputSchema).join(', ') || '(schema without properties)'}</dd>
          </>
        )}
      </dl>
      <section>
        <h3 className="mb-1 font-medium">Versions</h3>
        <ul data-testid="agent-versions" className="divide-y divide-zinc-100 text-xs dark:divide-zinc-800">
          {(versions.data ?? []).map((v) => (
            <li key={v.version} className="flex gap-3 py-1.5">
              <span className="font-medium">v{v.version}</span>
              <span className="text-zinc-500">{new Date(v.createdAt).toLocaleString()}</span>
              <span className="text-zinc-500">by {v.createdBy}</span>
            </li>
          ))}
        </ul>
      </section>
      {mayEvaluate && !a.removed && versions.data && (
        <section>
          <h3 className="mb-1 font-medium">Evaluate a version</h3>
          <p className="mb-2 text-xs text-zinc-500">Re-runs a workflow&apos;s latest completed runs from this agent&apos;s first task with the chosen version (everything before is reused, no agent called again) and compares each with its original.</p>
          <EvaluateForm agent={name} versions={versions.data.map((v) => v.version)} current={a.version} />
        </section>
      )}
      {a.kind === 'sdk' && mayChange && !a.removed && (
        <section>
          <h3 className="mb-1 font-medium">Agent keys</h3>
          <p className="mb-2 text-xs text-zinc-500">An SDK process serves this agent with one of its keys (packages/sdk): it receives only this agent&apos;s tasks.</p>
          <AgentKeysPanel agent={name} />
        </section>
      )}
      {remove.isError && <ErrorNote error={remove.error} />}
      {mayChange && !a.removed && (
        <div className="flex gap-2">
          <Button variant="primary" onClick={() => setEditing(true)} data-testid="edit-agent">
            Edit
          </Button>
          <Button
            onClick={() => {
              if (window.confirm(`Remove ${name}? Workflows that use it can no longer be published; past runs still show it.`)) remove.mutate({ name });
            }}
            disabled={remove.isPending}
            data-testid="remove-agent"
          >
            Remove
          </Button>
        </div>
      )}
    </div>
  );
}

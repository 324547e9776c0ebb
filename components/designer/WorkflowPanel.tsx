'use client';
/**
 * The inspector when nothing is selected: the workflow itself (name and description, renamed in place),
 * what it contains, and how to continue.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Button, errorMessage } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { WorkflowSummary } from '@/server/workflows';
import { Section, TextField } from './inspector/fields';
import { useDesignerStore } from './store';

export function WorkflowPanel({ workflow, draftDiffers }: { workflow: WorkflowSummary; draftDiffers: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(workflow.name);
  const [description, setDescription] = useState(workflow.description);
  useEffect(() => {
    setName(workflow.name);
    setDescription(workflow.description);
  }, [workflow.name, workflow.description]);
  const rename = useMutation(
    trpc.workflows.rename.mutationOptions({
      onSuccess: () => Promise.all([queryClient.invalidateQueries(trpc.workflows.get.queryFilter({ id: workflow.id })), queryClient.invalidateQueries(trpc.workflows.list.queryFilter())]),
    }),
  );
  const counts = useDesignerStore(useShallow((s) => ({ nodes: s.nodes.length, edges: s.edges.length, errors: s.problems.filter((p) => p.severity === 'error').length, warnings: s.problems.filter((p) => p.severity === 'warning').length })));
  const dirty = name.trim() !== workflow.name || description !== workflow.description;

  return (
    <div data-testid="workflow-panel">
      <header className="px-4 pt-4 pb-3">
        <h2 className="text-sm font-semibold">Workflow</h2>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Select a step or an edge to edit it.</p>
      </header>
      <form
        className="space-y-3 px-4 pb-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty && name.trim()) rename.mutate({ id: workflow.id, name: name.trim(), description });
        }}
      >
        <TextField label="Name" value={name} onChange={setName} error={name.trim() ? null : 'A name is required'} testId="workflow-rename" />
        <TextField label="Description" multiline value={description} onChange={setDescription} />
        {dirty && (
          <Button size="sm" type="submit" disabled={!name.trim() || rename.isPending}>
            {rename.isPending ? 'Saving…' : 'Save name and description'}
          </Button>
        )}
        {rename.error && <p className="text-xs text-rose-600">{errorMessage(rename.error)}</p>}
      </form>
      <Section title="Overview">
        <dl className="grid grid-cols-2 gap-y-1.5 text-xs">
          <dt className="text-zinc-500">Slug</dt>
          <dd className="truncate font-mono">{workflow.slug}</dd>
          <dt className="text-zinc-500">Steps</dt>
          <dd>
            {counts.nodes} nodes, {counts.edges} edges
          </dd>
          <dt className="text-zinc-500">Published</dt>
          <dd>{workflow.publishedVersion === null ? 'never' : `v${workflow.publishedVersion}${draftDiffers ? ', draft changed since' : ''}`}</dd>
          <dt className="text-zinc-500">Problems</dt>
          <dd className={counts.errors ? 'text-rose-600 dark:text-rose-400' : ''}>{counts.errors || counts.warnings ? `${counts.errors} errors, ${counts.warnings} warnings` : 'none'}</dd>
        </dl>
      </Section>
      <Section title="Next">
        <ol className="list-decimal space-y-1 pl-4 text-xs text-zinc-600 dark:text-zinc-400">
          <li>Draw from a trigger to an end; each step from the palette or with /.</li>
          <li>Fix what Problems lists: errors block publishing.</li>
          <li>Publish, then Run: runs use the published version.</li>
        </ol>
      </Section>
    </div>
  );
}

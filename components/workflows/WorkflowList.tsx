'use client';
/**
 * The workflow library (`/workflows`): every workflow with its published version, draft status, last run
 * and runs in the last 24 hours; create (blank or from a demo template), rename, duplicate, export,
 * archive and restore, expose over A2A (its Agent Card at /api/a2a/{id}/agent-card.json) or withdraw, and
 * import a JSON file (checked before anything is created).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { Badge, type BadgeTone, Button, Card, cn, denseInputClass, errorMessage, Modal, Skeleton, Table, TableHead, Th, toast, Toasts } from '@/components/ui';
import { useActor } from '@/components/auth/useActor';
import { useTRPC, useTRPCClient } from '@/components/trpc/client';
import { checkImportSize, downloadText, nameFromFileName, parseWorkflowFile, serializeWorkflow, type ImportIssue } from './documentFile';
import { ImportIssues } from './ImportIssues';
import { WorkflowFileInput } from './WorkflowFileInput';
import type { WorkflowOverview } from '@/server/workflows';

const RUN_TONE: Record<string, BadgeTone> = { running: 'info', queued: 'neutral', waiting: 'warning', completed: 'success', failed: 'danger', cancelled: 'neutral' };

export function WorkflowList() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [showArchived, setShowArchived] = useState(false);
  const { can, status } = useActor();
  const mayEdit = status !== 'signedIn' || can('architect');
  const list = useQuery(trpc.workflows.list.queryOptions({ includeArchived: showArchived }));
  const templates = useQuery(trpc.workflows.templates.queryOptions(undefined, { staleTime: Infinity }));
  const [creating, setCreating] = useState<{ template?: string; name: string } | null>(null);
  const [renaming, setRenaming] = useState<WorkflowOverview | null>(null);
  const [importError, setImportError] = useState<{ title: string; issues: ImportIssue[] } | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const invalidate = () => queryClient.invalidateQueries(trpc.workflows.list.queryFilter());

  const create = useMutation(
    trpc.workflows.create.mutationOptions({
      onSuccess: async (w) => {
        await invalidate();
        router.push(`/workflows/${w.id}`);
      },
    }),
  );
  const duplicate = useMutation(trpc.workflows.duplicate.mutationOptions({ onSuccess: (w) => (toast(`Duplicated as “${w.name}”.`, { tone: 'success' }), invalidate()) }));
  const archive = useMutation(
    trpc.workflows.setArchived.mutationOptions({
      onSuccess: (w) => {
        void invalidate();
        toast(w.archived ? `Archived “${w.name}”.` : `Restored “${w.name}”.`, w.archived ? { action: { label: 'Undo', run: () => archive.mutate({ id: w.id, archived: false }) } } : {});
      },
      onError: (e) => toast(errorMessage(e), { tone: 'error' }),
    }),
  );

  const a2a = useMutation(
    trpc.workflows.setA2aExposed.mutationOptions({
      onSuccess: (w) => {
        void invalidate();
        toast(w.a2aExposed ? `“${w.name}” is served over A2A: its card is at /api/a2a/${w.id}/agent-card.json.` : `“${w.name}” is no longer served over A2A.`, { tone: 'success' });
      },
      onError: (e) => toast(errorMessage(e), { tone: 'error' }),
    }),
  );

  const onImport = async (file: File) => {
    const tooLarge = checkImportSize(file.size);
    if (tooLarge && !tooLarge.ok) return setImportError({ title: tooLarge.title, issues: tooLarge.issues });
    const r = parseWorkflowFile(await file.text());
    if (!r.ok) return setImportError({ title: r.title, issues: r.issues });
    create.mutate({ name: nameFromFileName(file.name), document: r.document });
  };

  const exportOne = async (w: WorkflowOverview) => {
    try {
      const d = await client.workflows.get.query({ id: w.id });
      downloadText(`${w.slug}.json`, serializeWorkflow(d.draft, { name: d.name }));
    } catch (e) {
      toast(errorMessage(e), { tone: 'error' });
    }
  };

  const rows = list.data ?? [];
  const active = rows.filter((w) => !w.archived);

  return (
    <div className="space-y-6" data-testid="workflow-list">
      <div className="flex flex-wrap items-end gap-3">
        <div className="mr-auto">
          <h1 className="text-xl font-semibold tracking-tight">Workflows</h1>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Coordination logic, drawn: triggers, agents, fan-outs and joins, routes, approvals and timers.</p>
        </div>
        <label className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} className="accent-indigo-600" />
          Show archived
        </label>
        {mayEdit && (
          <>
            <Button onClick={() => fileRef.current?.click()} data-testid="import-workflow">
              Import JSON
            </Button>
            <Button variant="primary" onClick={() => setCreating({ name: '' })} data-testid="new-workflow">
              New workflow
            </Button>
          </>
        )}
        <WorkflowFileInput ref={fileRef} testId="import-workflow-file" onFile={(f) => void onImport(f)} />
      </div>

      {list.isPending ? (
        <Card className="space-y-3 p-5">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} className="h-10" />
          ))}
        </Card>
      ) : list.isError ? (
        <Card className="p-5 text-sm text-rose-700" role="alert">
          Cannot load workflows: {errorMessage(list.error)}
        </Card>
      ) : active.length === 0 && !showArchived ? (
        mayEdit ? (
          <EmptyState templates={templates.data ?? []} onBlank={() => setCreating({ name: '' })} onTemplate={(slug, name) => setCreating({ template: slug, name })} />
        ) : (
          <Card className="px-6 py-10 text-center text-sm text-zinc-500" data-testid="workflows-empty">
            No workflows yet. Someone with the architect role designs them here.
          </Card>
        )
      ) : (
        <Card>
          <Table>
            <TableHead>
              <Th className="px-5 py-2.5">Name</Th>
              <Th className="px-3 py-2.5">Published</Th>
              <Th className="px-3 py-2.5">Draft</Th>
              <Th className="px-3 py-2.5">Last run</Th>
              <Th right className="px-3 py-2.5">
                Runs, 24 h
              </Th>
              <Th className="px-5 py-2.5" />
            </TableHead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.id} data-testid="workflow-row" data-workflow-id={w.id} data-slug={w.slug} className={cn('border-b border-zinc-100 last:border-0 dark:border-zinc-800/70', w.archived && 'opacity-60')}>
                  <td className="max-w-80 px-5 py-3">
                    <Link href={`/workflows/${w.id}`} className="font-medium text-zinc-900 hover:underline dark:text-zinc-100" data-testid="workflow-link">
                      {w.name}
                    </Link>
                    {w.archived && (
                      <Badge className="ml-2" tone="neutral">
                        archived
                      </Badge>
                    )}
                    {w.a2aExposed && (
                      <Badge className="ml-2" tone="info" title={`A2A agent: /api/a2a/${w.id}/agent-card.json`} data-testid="a2a-exposed">
                        A2A
                      </Badge>
                    )}
                    <div className="truncate text-xs text-zinc-500 dark:text-zinc-400">{w.description || <span className="font-mono">{w.slug}</span>}</div>
                  </td>
                  <td className="px-3 py-3 whitespace-nowrap">{w.publishedVersion === null ? <span className="text-zinc-400">—</span> : <span className="font-medium">v{w.publishedVersion}</span>}</td>
                  <td className="px-3 py-3 whitespace-nowrap" data-testid="draft-status" data-state={w.draftStatus}>
                    {w.draftStatus === 'unpublished' ? <Badge>never published</Badge> : w.draftStatus === 'changed' ? <Badge tone="warning">unpublished changes</Badge> : <Badge tone="success">up to date</Badge>}
                  </td>
                  <td className="px-3 py-3 whitespace-nowrap">
                    {w.lastRun ? (
                      <Link href={`/runs/${encodeURIComponent(w.lastRun.id)}`} className="inline-flex items-center gap-2 hover:underline">
                        <Badge tone={RUN_TONE[w.lastRun.status] ?? 'neutral'}>{w.lastRun.status}</Badge>
                        <span className="text-xs text-zinc-500" title={w.lastRun.startedAt}>
                          {timeAgo(w.lastRun.startedAt)}
                        </span>
                      </Link>
                    ) : (
                      <span className="text-zinc-400">never</span>
                    )}
                  </td>
                  <td className="px-3 py-3 text-right tabular-nums" data-testid="runs-24h">
                    {w.runsLast24h}
                    {w.runsLast24hCapped ? '+' : ''}
                  </td>
                  <td className="px-5 py-3">
                    <RowActions
                      workflow={w}
                      mayEdit={mayEdit}
                      onRename={() => setRenaming(w)}
                      onDuplicate={() => duplicate.mutate({ id: w.id })}
                      onExport={() => void exportOne(w)}
                      onArchive={() => archive.mutate({ id: w.id, archived: !w.archived })}
                      onA2a={() => a2a.mutate({ id: w.id, exposed: !w.a2aExposed })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </Card>
      )}

      <CreateDialog
        state={creating}
        templates={templates.data ?? []}
        onClose={() => setCreating(null)}
        onChange={setCreating}
        busy={create.isPending}
        error={create.error ? errorMessage(create.error) : null}
        onCreate={(name, template) => create.mutate({ name, ...(template && { template }) })}
      />
      <RenameDialog workflow={renaming} onClose={() => setRenaming(null)} onDone={() => void invalidate()} />
      <Modal open={importError !== null} onClose={() => setImportError(null)} title={importError?.title ?? ''} description="Nothing was imported." data-testid="import-error" footer={<Button onClick={() => setImportError(null)}>OK</Button>}>
        <ImportIssues issues={importError?.issues ?? []} />
      </Modal>
      <Toasts />
    </div>
  );
}

type Template = { slug: string; name: string; description: string; nodeCount: number };

function EmptyState({ templates, onBlank, onTemplate }: { templates: Template[]; onBlank: () => void; onTemplate: (slug: string, name: string) => void }) {
  return (
    <Card className="px-6 py-10" data-testid="workflows-empty">
      <div className="mx-auto max-w-xl text-center">
        <h2 className="text-lg font-semibold">Design your first workflow</h2>
        <p className="mt-2 text-sm text-zinc-500 dark:text-zinc-400">Draw how your agents work together: who starts, what runs in parallel, where results meet, who approves. Start blank, or from one of the scenarios below.</p>
        <Button variant="primary" className="mt-5" onClick={onBlank}>
          Start from a blank canvas
        </Button>
      </div>
      <ul className="mt-8 grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {templates.map((t) => (
          <li key={t.slug}>
            <button type="button" onClick={() => onTemplate(t.slug, t.name)} data-testid="template-card" className="h-full w-full rounded-lg border border-zinc-200 p-4 text-left transition-colors hover:border-indigo-300 hover:bg-indigo-50/40 dark:border-zinc-800 dark:hover:border-indigo-800 dark:hover:bg-indigo-950/30">
              <span className="block text-sm font-medium">{t.name}</span>
              <span className="mt-1 line-clamp-3 block text-xs text-zinc-500 dark:text-zinc-400">{t.description}</span>
              <span className="mt-2 block text-[11px] text-zinc-400">{t.nodeCount} steps</span>
            </button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function CreateDialog({
  state,
  templates,
  onClose,
  onChange,
  onCreate,
  busy,
  error,
}: {
  state: { template?: string; name: string } | null;
  templates: Template[];
  onClose: () => void;
  onChange: (s: { template?: string; name: string }) => void;
  onCreate: (name: string, template?: string) => void;
  busy: boolean;
  error: string | null;
}) {
  const name = state?.name ?? '';
  return (
    <Modal
      open={state !== null}
      onClose={onClose}
      title="New workflow"
      data-testid="new-workflow-dialog"
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="new-workflow-form" disabled={!name.trim() || busy} data-testid="create-workflow">
            {busy ? 'Creating…' : 'Create and open'}
          </Button>
        </>
      }
    >
      <form
        id="new-workflow-form"
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) onCreate(name.trim(), state?.template);
        }}
      >
        <label className="block space-y-1">
          <span className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Name</span>
          <input autoFocus data-testid="new-workflow-name" value={name} maxLength={200} onChange={(e) => onChange({ ...state, name: e.target.value })} className={denseInputClass} placeholder="Legal case analysis" />
        </label>
        <fieldset className="space-y-1.5">
          <legend className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Start from</legend>
          {[{ slug: '', name: 'A blank canvas', description: 'Nothing but you and the palette.' }, ...templates].map((t) => (
            <label key={t.slug} className={cn('flex cursor-pointer gap-3 rounded-lg border px-3 py-2', (state?.template ?? '') === t.slug ? 'border-indigo-400 bg-indigo-50/50 dark:border-indigo-700 dark:bg-indigo-950/40' : 'border-zinc-200 dark:border-zinc-800')}>
              <input
                type="radio"
                name="template"
                className="mt-1 accent-indigo-600"
                checked={(state?.template ?? '') === t.slug}
                onChange={() => onChange({ name: name || (t.slug ? t.name : ''), ...(t.slug && { template: t.slug }) })}
              />
              <span>
                <span className="block text-sm font-medium">{t.name}</span>
                <span className="line-clamp-2 block text-xs text-zinc-500 dark:text-zinc-400">{t.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {error && (
          <p role="alert" className="text-sm text-rose-600">
            {error}
          </p>
        )}
      </form>
    </Modal>
  );
}

function RenameDialog({ workflow, onClose, onDone }: { workflow: WorkflowOverview | null; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [seen, setSeen] = useState<string | null>(null);
  if (workflow && workflow.id !== seen) {
    setSeen(workflow.id);
    setName(workflow.name);
    setDescription(workflow.description);
  }
  const rename = useMutation(
    trpc.workflows.rename.mutationOptions({
      onSuccess: () => {
        onDone();
        onClose();
        setSeen(null);
      },
    }),
  );
  return (
    <Modal
      open={workflow !== null}
      onClose={() => {
        onClose();
        setSeen(null);
      }}
      title="Rename workflow"
      description={workflow ? <span className="font-mono">{workflow.slug}</span> : undefined}
      data-testid="rename-dialog"
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="rename-form" disabled={!name.trim() || rename.isPending} data-testid="rename-save">
            Save
          </Button>
        </>
      }
    >
      <form
        id="rename-form"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (workflow && name.trim()) rename.mutate({ id: workflow.id, name: name.trim(), description });
        }}
      >
        <label className="block space-y-1">
          <span className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Name</span>
          <input autoFocus data-testid="rename-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} className={denseInputClass} />
        </label>
        <label className="block space-y-1">
          <span className="text-xs font-medium text-zinc-700 dark:text-zinc-300">Description</span>
          <textarea value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} rows={3} className={denseInputClass} />
        </label>
        {rename.error && <p className="text-sm text-rose-600">{errorMessage(rename.error)}</p>}
      </form>
    </Modal>
  );
}

function RowActions({ workflow, mayEdit, onRename, onDuplicate, onExport, onArchive, onA2a }: { workflow: WorkflowOverview; mayEdit: boolean; onRename: () => void; onDuplicate: () => void; onExport: () => void; onArchive: () => void; onA2a: () => void }) {
  const [open, setOpen] = useState(false);
  const item = (label: string, run: () => void, danger = false) => (
    <button
      type="button"
      role="menuitem"
      onClick={() => {
        setOpen(false);
        run();
      }}
      className={cn('block w-full rounded px-3 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800', danger && 'text-rose-600 dark:text-rose-400')}
    >
      {label}
    </button>
  );
  return (
    <div className="relative flex justify-end" onBlur={(e) => !e.currentTarget.contains(e.relatedTarget) && setOpen(false)}>
      <Button size="sm" variant="ghost" aria-haspopup="menu" aria-expanded={open} aria-label={`Actions for ${workflow.name}`} onClick={() => setOpen((o) => !o)}>
        ⋯
      </Button>
      {open && (
        <div role="menu" className="absolute top-full right-0 z-30 mt-1 w-52 rounded-lg border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-800 dark:bg-zinc-900">
          {mayEdit && item('Rename…', onRename)}
          {mayEdit && item('Duplicate', onDuplicate)}
          {item('Export JSON', onExport)}
          {mayEdit && (workflow.a2aExposed || (workflow.publishedVersion !== null && !workflow.archived)) && item(workflow.a2aExposed ? 'Stop serving over A2A' : 'Serve over A2A', onA2a)}
          {mayEdit && item(workflow.archived ? 'Restore' : 'Archive', onArchive, !workflow.archived)}
        </div>
      )}
    </div>
  );
}

function timeAgo(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

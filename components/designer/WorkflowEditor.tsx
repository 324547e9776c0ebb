'use client';
/**
 * The workflow editor (`/workflows/[id]`): palette, canvas, inspector and problems around one designer
 * store, with autosave, publish, version history, run, import/export, copy/paste and shortcuts.
 *
 * On open, a backup of unsaved changes left in this browser (reload, crash, closed tab) is restored at
 * once when nobody saved the draft since; otherwise the user is offered to restore it.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Badge, Button, cn, errorMessage, Modal, Skeleton, toast, Toasts } from '@/components/ui';
import { useActor } from '@/components/auth/useActor';
import { useTRPC } from '@/components/trpc/client';
import type { WorkflowDetail } from '@/server/workflows';
import { KIND_META, outputHandles, type NodeKind, type WorkflowDocument } from '@/server/workflows/schema';
import { AddNodeMenu } from './AddNodeMenu';
import { Canvas, SNAP_GRID } from './Canvas';
import { parseClipboard, serializeClipboard, type ClipboardPayload } from './clipboard';
import { diffDocuments, isEmptyDiff } from './diff';
import { checkImportSize, downloadText, parseWorkflowFile, serializeWorkflow, type ImportIssue } from '@/components/workflows/documentFile';
import { ImportIssues } from '@/components/workflows/ImportIssues';
import { WorkflowFileInput } from '@/components/workflows/WorkflowFileInput';
import { Inspector } from './inspector/Inspector';
import { defaultSample, SampleEnvelopeProvider } from './inspector/sampleEnvelope';
import { Palette } from './Palette';
import { ProblemsList } from './ProblemsList';
import { PublishDialog } from './PublishDialog';
import { RunDialog } from './RunDialog';
import { isTyping, shortcutFor } from './shortcuts';
import { ShortcutsHelp } from './ShortcutsHelp';
import { displayName, nodeToDocument, portName } from './graph';
import { createDesignerStore, DesignerProvider, firstFreePort, useDesignerStore, useDesignerStoreApi, type DesignerStore } from './store';
import { clearBackup, readBackup, useAutosave, type Backup, type SaveStatus } from './useAutosave';
import { VersionHistory as VersionHistoryView } from './VersionHistory';
import { WorkflowPanel } from './WorkflowPanel';
import type { Json } from '@/server/spine/events';

/**
 * How Fit, auto-layout and imports frame the workflow: clear of the Problems panel floating over the bottom
 * of the canvas (taller while it lists problems).
 */
const FIT = { padding: { top: '6%', left: '6%', right: '6%', bottom: '190px' }, duration: 200, maxZoom: 1.2 } as const;
/** Height the Problems panel may cover at the bottom of the canvas. */
const PROBLEMS_PANEL_PX = 190;

/** Where copied nodes also go, for browsers or pages where the system clipboard is unavailable. */
const CLIPBOARD_FALLBACK_KEY = 'spine.designer.clipboard';

const noSubscription = () => () => {};

export function WorkflowEditor({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const wf = useQuery(trpc.workflows.get.queryOptions({ id: workflowId }, { staleTime: Infinity, refetchOnWindowFocus: false }));
  // The workflow comes with the page (prefetched on the server), but the editor itself is drawn in the
  // browser only: what it opens on may be this browser's unsaved backup (localStorage), which the server
  // cannot know. The server and the first browser render both show the skeleton; the editor follows at once.
  const inBrowser = useSyncExternalStore(noSubscription, () => true, () => false);
  if (wf.isPending || !inBrowser) return <EditorSkeleton />;
  if (wf.isError)
    return (
      <div className="mx-auto max-w-md py-16 text-center" role="alert">
        <h1 className="text-lg font-semibold">Cannot open this workflow</h1>
        <p className="mt-2 text-sm text-zinc-500">{errorMessage(wf.error)}</p>
        <Link href="/workflows" className="mt-4 inline-block text-sm font-medium text-indigo-600 hover:underline">
          Back to workflows
        </Link>
      </div>
    );
  return <LoadedEditor key={wf.data.id} workflow={wf.data} />;
}

/** The editor's frame while it loads (also the route's `loading.tsx`). */
export function EditorSkeleton() {
  return (
    <div className="fixed inset-x-0 top-[57px] bottom-0 flex flex-col bg-zinc-50 dark:bg-zinc-950" aria-busy="true" aria-label="Loading the editor">
      <div className="flex h-12 items-center gap-3 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <Skeleton className="h-5 w-48" />
        <Skeleton className="ml-auto h-8 w-40" />
      </div>
      <div className="flex flex-1">
        <Skeleton className="m-3 w-52 rounded-lg" />
        <div className="flex-1" />
        <Skeleton className="m-3 w-76 rounded-lg" />
      </div>
    </div>
  );
}

type Opening = { document: WorkflowDocument; dirty: boolean; offer: Backup | null; restored: boolean };

/** Decides, once, what the editor opens on: the server draft, or this browser's unsaved backup of it. */
function opening(workflow: WorkflowDetail): Opening {
  const backup = readBackup(workflow.id);
  if (!backup) return { document: workflow.draft, dirty: false, offer: null, restored: false };
  if (isEmptyDiff(diffDocuments(workflow.draft, backup.document), { countMoves: true })) {
    clearBackup(workflow.id);
    return { document: workflow.draft, dirty: false, offer: null, restored: false };
  }
  if (backup.baseRevision === workflow.draftRevision) return { document: backup.document, dirty: true, offer: null, restored: true };
  return { document: workflow.draft, dirty: false, offer: backup, restored: false };
}

function LoadedEditor({ workflow }: { workflow: WorkflowDetail }) {
  const [open] = useState(() => opening(workflow));
  const [store] = useState(() => createDesignerStore({ document: open.document }));
  useEffect(() => {
    if (open.restored) toast('Restored changes that had not been saved yet.', { tone: 'info' });
  }, [open.restored]);
  return (
    <ReactFlowProvider>
      <DesignerProvider create={() => store}>
        <Sample workflowId={workflow.id}>
          <EditorFrame workflow={workflow} store={store} opening={open} />
        </Sample>
      </DesignerProvider>
      <Toasts />
    </ReactFlowProvider>
  );
}

/** The sample envelope, by default one empty result per agent node of the workflow as it is now. */
function Sample({ workflowId, children }: { workflowId: string; children: ReactNode }) {
  const agentIds = useDesignerStore(useShallow((s) => s.nodes.filter((n) => n.type === 'agent').map((n) => n.id)));
  const fallback = useMemo(() => defaultSample(agentIds), [agentIds]);
  return (
    <SampleEnvelopeProvider storageKey={`spine.designer.sample.${workflowId}`} fallback={fallback}>
      {children}
    </SampleEnvelopeProvider>
  );
}

function EditorFrame({ workflow, store, opening: open }: { workflow: WorkflowDetail; store: DesignerStore; opening: Opening }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const live = useQuery(trpc.workflows.get.queryOptions({ id: workflow.id }, { staleTime: Infinity, refetchOnWindowFocus: false }));
  const summary = live.data ?? workflow;
  const agents = useQuery(trpc.agents.list.queryOptions(undefined, { staleTime: 60_000 }));
  const published = useQuery({
    ...trpc.workflows.version.queryOptions({ id: workflow.id, version: summary.publishedVersion ?? 1 }),
    enabled: summary.publishedVersion !== null,
    staleTime: Infinity,
  });
  const autosave = useAutosave({ workflowId: workflow.id, store, initialRevision: workflow.draftRevision, dirty: open.dirty });
  // The server authorizes every call; this keeps the editor honest about what this person may do.
  const { can, status: actorStatus } = useActor();
  const mayEdit = actorStatus !== 'signedIn' || can('architect');
  const mayRun = actorStatus !== 'signedIn' || can('operator');
  useEffect(() => store.getState().setReadOnly(!mayEdit), [mayEdit, store]);
  const { undo, redo, pastCount, futureCount, problems, docRevision } = useDesignerStore(
    useShallow((s) => ({ undo: s.undo, redo: s.redo, pastCount: s.past.length, futureCount: s.future.length, problems: s.problems, docRevision: s.docRevision })),
  );
  const api = useDesignerStoreApi();
  const { fitView, screenToFlowPosition, setCenter, getZoom, getInternalNode } = useReactFlow();
  const canvasRef = useRef<HTMLDivElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const [snap, setSnap] = useState(true);
  const [dialog, setDialog] = useState<null | 'publish' | 'history' | 'run' | 'help'>(null);
  const [addMenu, setAddMenu] = useState<{ at?: { x: number; y: number } } | null>(null);
  const [importError, setImportError] = useState<{ title: string; issues: ImportIssue[] } | null>(null);
  const [offer, setOffer] = useState(open.offer);
  const pasteCount = useRef(0);

  useEffect(() => {
    if (agents.data) store.getState().setAgents(new Set(agents.data.map((a) => a.name)), new Map(agents.data.flatMap((a) => (a.outputSchema != null ? [[a.name, a.outputSchema as Json] as const] : []))));
  }, [agents.data, store]);

  // Compared with the published version again after every document change (docRevision).
  const draftDiffers = useMemo(() => {
    void docRevision;
    if (!published.data) return summary.publishedVersion !== null;
    return !isEmptyDiff(diffDocuments(published.data.document, store.getState().document()), { countMoves: true });
  }, [docRevision, published.data, store, summary.publishedVersion]);

  /** Pans (at the same zoom) so the node is inside the canvas, when it is not already. */
  const keepInView = useCallback(
    (id: string) => {
      const n = getInternalNode(id);
      const r = canvasRef.current?.getBoundingClientRect();
      if (!n || !r) return;
      const w = n.measured.width ?? 220;
      const h = n.measured.height ?? 90;
      const p = n.internals.positionAbsolute;
      const tl = screenToFlowPosition({ x: r.left, y: r.top });
      const br = screenToFlowPosition({ x: r.right, y: r.bottom - PROBLEMS_PANEL_PX });
      if (p.x >= tl.x && p.y >= tl.y && p.x + w <= br.x && p.y + h <= br.y) return;
      void setCenter(p.x + w / 2, p.y + h / 2, { zoom: getZoom(), duration: 200 });
    },
    [getInternalNode, getZoom, screenToFlowPosition, setCenter],
  );

  const viewportCenter = useCallback(() => {
    const r = canvasRef.current?.getBoundingClientRect();
    if (!r) return { x: 0, y: 0 };
    return screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
  }, [screenToFlowPosition]);

  /**
   * Adds a step: where asked, else after the one selected node (wired to its first free port, placed beside
   * that port and scrolled into view), else in the middle of the view.
   */
  const addKind = useCallback(
    (kind: NodeKind, at?: { x: number; y: number }) => {
      const s = api.getState();
      const selected = s.nodes.filter((n) => n.selected);
      let position = at;
      let connectFrom: string | undefined;
      if (!position && selected.length === 1 && KIND_META[kind].inputs !== 'none') {
        const from = selected[0]!;
        connectFrom = from.id;
        const port = firstFreePort(s.document(), from.id);
        const ports = outputHandles(nodeToDocument(from));
        const row = port === null ? 0 : Math.max(0, ports.indexOf(port));
        position = { x: from.position.x + 320, y: from.position.y + row * 128 };
        while (s.nodes.some((n) => Math.abs(n.position.x - position!.x) < 120 && Math.abs(n.position.y - position!.y) < 80)) position = { x: position.x, y: position.y + 128 };
      }
      position ??= (() => {
        const c = viewportCenter();
        return { x: c.x - 120, y: c.y - 40 };
      })();
      const snapTo = (v: number) => Math.round(v / SNAP_GRID[0]) * SNAP_GRID[0];
      const id = s.addNode(kind, { x: snapTo(position.x), y: snapTo(position.y) }, { connectFrom });
      if (connectFrom) requestAnimationFrame(() => keepInView(id));
    },
    [api, keepInView, viewportCenter],
  );

  /** What the add menu says it will do, in the words of the selection. */
  const addContext = useMemo(() => {
    if (addMenu?.at) return 'Adds where you clicked.';
    if (addMenu === null) return '';
    const s = api.getState();
    const selected = s.nodes.filter((n) => n.selected);
    if (selected.length !== 1) return 'Adds in the middle of the view (select a step first to add after it, connected).';
    const from = selected[0]!;
    const port = firstFreePort(s.document(), from.id);
    if (port === null) return `Adds after “${displayName(from)}”, unconnected: each of its ports is taken.`;
    const name = portName(nodeToDocument(from), port);
    return `Adds after “${displayName(from)}”, connected${name ? ` to its “${name}” port` : ''}.`;
  }, [addMenu, api]);

  const pastePayload = useCallback(
    (p: ClipboardPayload) => {
      const same = p.from === workflow.id;
      pasteCount.current = same ? pasteCount.current + 1 : 0;
      const c = viewportCenter();
      api.getState().paste(p, same ? { offset: { x: 32 * pasteCount.current, y: 32 * pasteCount.current } } : { at: { x: Math.round(c.x - 120), y: Math.round(c.y - 60) } });
      toast(`Pasted ${p.nodes.length} node${p.nodes.length === 1 ? '' : 's'}.`);
    },
    [api, viewportCenter, workflow.id],
  );

  // Keyboard shortcuts (copy, cut and paste come as clipboard events below, so no permission prompt).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const id = shortcutFor(e);
      if (!id || id === 'copy' || id === 'cut' || id === 'paste') return;
      const s = api.getState();
      e.preventDefault();
      switch (id) {
        case 'undo':
          return s.undo();
        case 'redo':
          return s.redo();
        case 'duplicate':
          return s.duplicateSelected();
        case 'delete':
          return s.deleteSelected();
        case 'selectAll':
          return s.selectAll();
        case 'add':
          return setAddMenu({});
        case 'layout':
          s.layout();
          requestAnimationFrame(() => void fitView(FIT));
          return;
        case 'fit':
          return void fitView(FIT);
        case 'save':
          return void autosave.flush();
        case 'help':
          return setDialog('help');
        case 'escape':
          return s.selectOnly({});
      }
    };
    const copy = (e: ClipboardEvent, cut: boolean) => {
      if (isTyping(document.activeElement) || (window.getSelection()?.toString() ?? '') !== '') return;
      const p = api.getState().copy(workflow.id);
      if (!p) return;
      const text = serializeClipboard(p);
      e.clipboardData?.setData('text/plain', text);
      e.preventDefault();
      try {
        localStorage.setItem(CLIPBOARD_FALLBACK_KEY, text);
      } catch {
        // The system clipboard has it.
      }
      if (cut) api.getState().deleteSelected();
      toast(`${cut ? 'Cut' : 'Copied'} ${p.nodes.length} node${p.nodes.length === 1 ? '' : 's'}: paste here or in another workflow.`);
    };
    const onCopy = (e: ClipboardEvent) => copy(e, false);
    const onCut = (e: ClipboardEvent) => copy(e, true);
    const onPaste = (e: ClipboardEvent) => {
      if (isTyping(document.activeElement)) return;
      const p = parseClipboard(e.clipboardData?.getData('text/plain') ?? '');
      if (!p) return;
      e.preventDefault();
      pastePayload(p);
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCut);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCut);
      document.removeEventListener('paste', onPaste);
    };
  }, [api, autosave, fitView, pastePayload, workflow.id]);

  /** Paste from the menu: the system clipboard when the browser allows reading it, else the last copy here. */
  const pasteFromMenu = async () => {
    let text: string | null = null;
    try {
      text = await navigator.clipboard.readText();
    } catch {
      text = null;
    }
    const p = (text && parseClipboard(text)) || parseClipboard(localStorage.getItem(CLIPBOARD_FALLBACK_KEY) ?? '');
    if (p) pastePayload(p);
    else toast('The clipboard holds no Spine nodes. Select nodes and press Ctrl/⌘ C first.', { tone: 'error' });
  };

  const onImportFile = async (file: File) => {
    const tooLarge = checkImportSize(file.size);
    if (tooLarge && !tooLarge.ok) return setImportError({ title: tooLarge.title, issues: tooLarge.issues });
    const r = parseWorkflowFile(await file.text(), agents.data ? { agents: new Set(agents.data.map((a) => a.name)) } : {});
    if (!r.ok) return setImportError({ title: r.title, issues: r.issues });
    api.getState().replaceDocument(r.document);
    requestAnimationFrame(() => void fitView(FIT));
    toast(`Imported ${r.document.nodes.length} nodes from ${file.name}. Undo with Ctrl/⌘ Z.`, { tone: 'success', action: { label: 'Undo', run: () => api.getState().undo() } });
  };

  const publish = useMutation(
    trpc.workflows.publish.mutationOptions({
      onSuccess: async ({ version }) => {
        setDialog(null);
        toast(`Published version ${version}.`, { tone: 'success' });
        await Promise.all([
          queryClient.invalidateQueries(trpc.workflows.get.queryFilter({ id: workflow.id })),
          queryClient.invalidateQueries(trpc.workflows.versions.queryFilter({ id: workflow.id })),
          queryClient.invalidateQueries(trpc.workflows.list.queryFilter()),
        ]);
      },
    }),
  );
  const [publishError, setPublishError] = useState<string | null>(null);
  const doPublish = async (text: string) => {
    setPublishError(null);
    if (!(await autosave.flush())) {
      setPublishError('The draft could not be saved first (see the message at the top), so nothing was published.');
      return;
    }
    publish.mutate({ id: workflow.id, summary: text });
  };

  const errors = problems.filter((p) => p.severity === 'error').length;
  // A published workflow whose draft equals its published version: publishing would only copy it.
  const unchanged = summary.publishedVersion !== null && !draftDiffers;

  return (
    <div className="fixed inset-x-0 top-[57px] bottom-0 z-10 flex flex-col bg-zinc-50 dark:bg-zinc-950" data-testid="workflow-editor" data-workflow-id={workflow.id}>
      <header className="flex h-12 shrink-0 items-center gap-2 border-b border-zinc-200 bg-white px-3 dark:border-zinc-800 dark:bg-zinc-900">
        <Link href="/workflows" className="text-sm text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100">
          Workflows
        </Link>
        <span className="text-zinc-300 dark:text-zinc-700">/</span>
        <h1 className="max-w-64 truncate text-sm font-semibold" data-testid="workflow-name">
          {summary.name}
        </h1>
        {summary.publishedVersion === null ? <Badge>never published</Badge> : draftDiffers ? <Badge tone="warning">v{summary.publishedVersion} · unpublished changes</Badge> : <Badge tone="success">v{summary.publishedVersion} published</Badge>}
        <SaveIndicator status={autosave.status} />
        <div className="ml-auto flex items-center gap-1">
          <ToolButton label="Undo" keys="Mod Z" onClick={undo} disabled={pastCount === 0} testId="undo">
            ↶
          </ToolButton>
          <ToolButton label="Redo" keys="Mod Shift Z" onClick={redo} disabled={futureCount === 0} testId="redo">
            ↷
          </ToolButton>
          <span className="mx-1 h-5 w-px bg-zinc-200 dark:bg-zinc-800" />
          <ToolButton
            label="Auto-layout"
            keys="Shift L"
            testId="auto-layout"
            onClick={() => {
              api.getState().layout();
              requestAnimationFrame(() => void fitView(FIT));
            }}
          >
            Layout
          </ToolButton>
          <ToolButton label="Zoom to fit" keys="Shift 1" onClick={() => void fitView(FIT)} testId="fit-view">
            Fit
          </ToolButton>
          <ToolButton label={snap ? 'Snap to grid: on' : 'Snap to grid: off'} onClick={() => setSnap((v) => !v)} pressed={snap} testId="snap">
            Snap
          </ToolButton>
          <MoreMenu
            mayEdit={mayEdit}
            onImport={() => fileRef.current?.click()}
            onExport={() => downloadText(`${summary.slug}.json`, serializeWorkflow(api.getState().document(), { name: summary.name }))}
            onPaste={() => void pasteFromMenu()}
            onHelp={() => setDialog('help')}
          />
          <Button size="sm" variant="ghost" onClick={() => setDialog('history')} data-testid="open-history">
            History
          </Button>
          <Button
            size="sm"
            onClick={() => setDialog('run')}
            disabled={summary.publishedVersion === null || !mayRun}
            title={!mayRun ? 'Starting runs needs the operator role' : summary.publishedVersion === null ? 'Publish first' : `Run v${summary.publishedVersion}`}
            data-testid="open-run"
          >
            ▶ Run
          </Button>
          {mayEdit && (
            <Button
              size="sm"
              variant="primary"
              onClick={() => setDialog('publish')}
              data-testid="open-publish"
              // Publishing an unchanged draft would only make an identical version.
              disabled={unchanged}
              title={unchanged ? `No changes since v${summary.publishedVersion}` : errors ? `${errors} error(s) to fix first` : 'Publish the draft'}
            >
              Publish
              {errors > 0 && <span className="ml-1 rounded-full bg-rose-500 px-1.5 text-[10px] text-white">{errors}</span>}
            </Button>
          )}
        </div>
        <WorkflowFileInput ref={fileRef} testId="import-file" onFile={(f) => void onImportFile(f)} />
      </header>

      {!mayEdit && (
        <Banner tone="warning" testId="read-only">
          <span>You are viewing this workflow. Editing and publishing need the architect role.</span>
        </Banner>
      )}
      {autosave.status.kind === 'conflict' && (
        <Banner tone="danger" testId="draft-conflict">
          <span>
            <strong>This draft was changed elsewhere</strong> (another tab or person saved revision {autosave.status.currentRevision ?? 'newer'}). Your changes are still here and are not saved.
          </span>
          <Button size="sm" onClick={() => void autosave.keepMine()} data-testid="conflict-keep-mine">
            Keep mine (overwrite)
          </Button>
          <Button size="sm" variant="ghost" onClick={() => void autosave.loadTheirs()} data-testid="conflict-load-theirs">
            Load theirs (undo brings mine back)
          </Button>
        </Banner>
      )}
      {offer && (
        <Banner tone="warning" testId="backup-offer">
          <span>
            This browser kept changes from {new Date(offer.savedAt).toLocaleString()} that were never saved, but the draft has been saved elsewhere since.
          </span>
          <Button
            size="sm"
            onClick={() => {
              api.getState().replaceDocument(offer.document);
              setOffer(null);
            }}
          >
            Restore them
          </Button>
          <Button
            size="sm"
            variant="ghost"
            onClick={() => {
              clearBackup(workflow.id);
              setOffer(null);
            }}
          >
            Discard
          </Button>
        </Banner>
      )}

      <div className="flex min-h-0 flex-1">
        <Palette onAdd={(k) => addKind(k)} disabled={!mayEdit} />
        <div className="flex min-w-0 flex-1 flex-col">
          <div ref={canvasRef} className="relative min-h-0 flex-1">
            <Canvas snap={snap} onRequestAdd={(at) => setAddMenu({ at })} />
            {/* Over the canvas, between the zoom controls and the minimap: the canvas keeps its full height. */}
            <div className="pointer-events-none absolute right-2 bottom-2 left-14 z-10 sm:right-[216px]">
              <ProblemsList />
            </div>
          </div>
        </div>
        <Inspector workflowPanel={<WorkflowPanel workflow={summary} draftDiffers={draftDiffers} />} />
      </div>

      <AddNodeMenu open={addMenu !== null} onClose={() => setAddMenu(null)} onPick={(k) => addKind(k, addMenu?.at)} context={addContext} />
      <ShortcutsHelp open={dialog === 'help'} onClose={() => setDialog(null)} />
      <PublishDialog
        open={dialog === 'publish'}
        onClose={() => setDialog(null)}
        draft={dialog === 'publish' ? api.getState().document() : EMPTY}
        published={published.data?.document ?? null}
        publishedVersion={summary.publishedVersion}
        problems={problems}
        busy={publish.isPending}
        error={publishError ?? (publish.error ? errorMessage(publish.error) : null)}
        onPublish={(text) => void doPublish(text)}
      />
      <VersionHistoryLazy
        mayRestore={mayEdit}
        open={dialog === 'history'}
        onClose={() => setDialog(null)}
        workflowId={workflow.id}
        onRestore={(version, doc) => {
          api.getState().replaceDocument(doc);
          setDialog(null);
          requestAnimationFrame(() => void fitView(FIT));
          toast(`Version ${version} restored as the draft. Publish to make it current.`, { tone: 'success', action: { label: 'Undo', run: () => api.getState().undo() } });
        }}
      />
      <RunDialog open={dialog === 'run'} onClose={() => setDialog(null)} workflowId={workflow.id} publishedVersion={summary.publishedVersion} draftChanged={draftDiffers} />
      <Modal
        open={importError !== null}
        onClose={() => setImportError(null)}
        title={importError?.title ?? ''}
        description="Nothing was imported; the workflow is unchanged."
        data-testid="import-error"
        footer={<Button onClick={() => setImportError(null)}>OK</Button>}
      >
        <ImportIssues issues={importError?.issues ?? []} />
      </Modal>
    </div>
  );
}

const EMPTY: WorkflowDocument = { formatVersion: 1, nodes: [], edges: [] };

/** The history dialog reads the draft only while open. */
function VersionHistoryLazy(props: { open: boolean; onClose: () => void; workflowId: string; mayRestore: boolean; onRestore: (v: number, d: WorkflowDocument) => void }) {
  const api = useDesignerStoreApi();
  const draft = useMemo(() => (props.open ? api.getState().document() : EMPTY), [api, props.open]);
  return <VersionHistoryView {...props} draft={draft} />;
}

function SaveIndicator({ status }: { status: SaveStatus }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  const text =
    status.kind === 'saved' ? (status.at ? `Saved ${ago(status.at)}` : 'All changes saved') : status.kind === 'pending' ? 'Unsaved changes' : status.kind === 'saving' ? 'Saving…' : status.kind === 'conflict' ? 'Not saved: changed elsewhere' : `Not saved: ${status.message}`;
  return (
    <span role="status" data-testid="save-status" data-state={status.kind} className={cn('ml-1 text-xs', status.kind === 'conflict' || status.kind === 'error' ? 'text-rose-600 dark:text-rose-400' : 'text-zinc-500 dark:text-zinc-400')}>
      {text}
    </span>
  );
}

function ago(at: number): string {
  const s = Math.round((Date.now() - at) / 1000);
  return s < 45 ? 'just now' : s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(at).toLocaleTimeString();
}

function ToolButton({ label, keys, onClick, disabled, children, pressed, testId }: { label: string; keys?: string; onClick: () => void; disabled?: boolean; children: ReactNode; pressed?: boolean; testId?: string }) {
  const title = keys ? `${label} (${keys.replace('Mod', 'Ctrl/⌘')})` : label;
  return (
    <Button size="sm" variant="ghost" onClick={onClick} disabled={disabled} aria-label={label} title={title} aria-pressed={pressed} data-testid={testId} className={cn(pressed && 'bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100')}>
      {children}
    </Button>
  );
}

function MoreMenu({ mayEdit, onImport, onExport, onPaste, onHelp }: { mayEdit: boolean; onImport: () => void; onExport: () => void; onPaste: () => void; onHelp: () => void }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const item = (label: string, run: () => void, testId: string) => (
    <button
      type="button"
      role="menuitem"
      data-testid={testId}
      onClick={() => {
        setOpen(false);
        run();
      }}
      className="block w-full rounded px-3 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800"
    >
      {label}
    </button>
  );
  return (
    <div ref={ref} className="relative">
      <Button size="sm" variant="ghost" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="more-menu">
        ⋯
      </Button>
      {open && (
        <div role="menu" className="absolute right-0 z-30 mt-1 w-52 rounded-lg border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-800 dark:bg-zinc-900">
          {mayEdit && item('Import JSON…', onImport, 'menu-import')}
          {item('Export JSON', onExport, 'menu-export')}
          {mayEdit && item('Paste nodes', onPaste, 'menu-paste')}
          {item('Keyboard shortcuts', onHelp, 'menu-help')}
        </div>
      )}
    </div>
  );
}

function Banner({ tone, testId, children }: { tone: 'danger' | 'warning'; testId: string; children: ReactNode }) {
  return (
    <div
      role="alert"
      data-testid={testId}
      className={cn(
        'flex flex-wrap items-center gap-3 border-b px-4 py-2 text-sm',
        tone === 'danger' ? 'border-rose-200 bg-rose-50 text-rose-900 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-100' : 'border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-100',
      )}
    >
      {children}
    </div>
  );
}

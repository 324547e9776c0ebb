'use client';
/**
 * Drafts save themselves. Every change is written at once to a backup in localStorage (so a reload or a
 * crash loses nothing) and, after a short pause, saved to the server with the draft revision it was based
 * on. If another tab or person saved in between, the server answers 409 `workflow.draft_conflict`: saving
 * stops, the editor keeps every change, and the user chooses to keep theirs (overwrite) or load the other
 * version (one undo step, so theirs can still be brought back). Nothing is ever overwritten silently.
 */
import { TRPCClientError } from '@trpc/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { useTRPCClient } from '@/components/trpc/client';
import { errorMessage } from '@/components/ui';
import { WorkflowDocument } from '@/server/workflows/schema';
import type { DesignerStore } from './store';

export type SaveStatus =
  | { kind: 'saved'; at: number | null }
  | { kind: 'pending' }
  | { kind: 'saving' }
  | { kind: 'conflict'; currentRevision: number | null }
  | { kind: 'error'; message: string };

/** Pause after the last change before saving. */
export const AUTOSAVE_DELAY_MS = 600;
const RETRY_MS = 5000;

// ---------------------------------------------------------------------------------------------------------
// The local backup
// ---------------------------------------------------------------------------------------------------------

const Backup = z.object({ baseRevision: z.number().int(), savedAt: z.number(), document: WorkflowDocument }).strict();
export type Backup = z.infer<typeof Backup>;

const backupKey = (workflowId: string) => `spine.designer.backup.${workflowId}`;

/** The unsaved draft this browser kept for a workflow, parsed (a damaged one is dropped). */
export function readBackup(workflowId: string): Backup | null {
  try {
    const raw = localStorage.getItem(backupKey(workflowId));
    if (raw === null) return null;
    const r = Backup.safeParse(JSON.parse(raw));
    if (!r.success) localStorage.removeItem(backupKey(workflowId));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function writeBackup(workflowId: string, b: Backup) {
  try {
    localStorage.setItem(backupKey(workflowId), JSON.stringify(b));
  } catch {
    // Storage full or unavailable: the server save still happens.
  }
}

export function clearBackup(workflowId: string) {
  try {
    localStorage.removeItem(backupKey(workflowId));
  } catch {
    // Nothing to clear.
  }
}

export function isDraftConflict(e: unknown): boolean {
  if (!(e instanceof TRPCClientError)) return false;
  const data = e.data as { code?: string; error?: { code?: string } } | undefined;
  return data?.error?.code === 'workflow.draft_conflict';
}

// ---------------------------------------------------------------------------------------------------------
// The hook
// ---------------------------------------------------------------------------------------------------------

export type Autosave = {
  status: SaveStatus;
  /** Saves now; resolves true when the draft on the server equals the editor's. */
  flush(): Promise<boolean>;
  /** After a conflict: save this editor's draft over the other one. */
  keepMine(): Promise<void>;
  /** After a conflict: load the other draft into the editor (undo brings this one back). */
  loadTheirs(): Promise<void>;
};

export function useAutosave(opts: { workflowId: string; store: DesignerStore; initialRevision: number; dirty?: boolean }): Autosave {
  const { workflowId, store } = opts;
  const client = useTRPCClient();
  const [status, setStatus] = useState<SaveStatus>(opts.dirty ? { kind: 'pending' } : { kind: 'saved', at: null });
  const r = useRef({
    revision: opts.initialRevision,
    savedDocRevision: opts.dirty ? -1 : store.getState().docRevision,
    timer: undefined as ReturnType<typeof setTimeout> | undefined,
    inflight: null as Promise<void> | null,
    conflict: false,
    quiet: false,
  });

  const save = useCallback(async (): Promise<void> => {
    const st = r.current;
    clearTimeout(st.timer);
    if (st.inflight) {
      await st.inflight;
      return save();
    }
    if (st.conflict) return;
    const docRevision = store.getState().docRevision;
    if (docRevision === st.savedDocRevision) {
      setStatus({ kind: 'saved', at: Date.now() });
      return;
    }
    setStatus({ kind: 'saving' });
    st.inflight = (async () => {
      try {
        const res = await client.workflows.saveDraft.mutate({ id: workflowId, document: store.getState().document(), expectedRevision: st.revision });
        st.revision = res.draftRevision;
        st.savedDocRevision = docRevision;
        if (store.getState().docRevision === docRevision) {
          clearBackup(workflowId);
          setStatus({ kind: 'saved', at: Date.now() });
        } else {
          setStatus({ kind: 'pending' });
          st.timer = setTimeout(() => void save(), AUTOSAVE_DELAY_MS);
        }
      } catch (e) {
        if (isDraftConflict(e)) {
          st.conflict = true;
          const details = (e as TRPCClientError<never>).message.match(/revision (\d+)/);
          setStatus({ kind: 'conflict', currentRevision: details ? Number(details[1]) : null });
        } else {
          setStatus({ kind: 'error', message: errorMessage(e) });
          st.timer = setTimeout(() => void save(), RETRY_MS);
        }
      } finally {
        st.inflight = null;
      }
    })();
    await st.inflight;
  }, [client, store, workflowId]);

  useEffect(() => {
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.docRevision === prev.docRevision || r.current.quiet) return;
      const st = r.current;
      writeBackup(workflowId, { baseRevision: st.revision, savedAt: Date.now(), document: s.document() });
      if (st.conflict) return;
      setStatus({ kind: 'pending' });
      clearTimeout(st.timer);
      st.timer = setTimeout(() => void save(), AUTOSAVE_DELAY_MS);
    });
    if (opts.dirty) r.current.timer = setTimeout(() => void save(), 0);
    const st = r.current;
    return () => {
      unsubscribe();
      clearTimeout(st.timer);
    };
    // opts.dirty is read once, at mount: it says the editor opened on a restored backup.
  }, [store, save, workflowId]);

  const flush = useCallback(async () => {
    await save();
    const st = r.current;
    return !st.conflict && store.getState().docRevision === st.savedDocRevision;
  }, [save, store]);

  const keepMine = useCallback(async () => {
    const latest = await client.workflows.get.query({ id: workflowId });
    const st = r.current;
    st.revision = latest.draftRevision;
    st.conflict = false;
    st.savedDocRevision = -1;
    await save();
  }, [client, save, workflowId]);

  const loadTheirs = useCallback(async () => {
    const latest = await client.workflows.get.query({ id: workflowId });
    const st = r.current;
    st.quiet = true;
    try {
      store.getState().replaceDocument(latest.draft);
    } finally {
      st.quiet = false;
    }
    st.revision = latest.draftRevision;
    st.conflict = false;
    st.savedDocRevision = store.getState().docRevision;
    clearBackup(workflowId);
    setStatus({ kind: 'saved', at: Date.now() });
  }, [client, store, workflowId]);

  return { status, flush, keepMine, loadTheirs };
}

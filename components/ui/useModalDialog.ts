'use client';
/**
 * A native <dialog> opened as a modal while `open` is true: the props to spread on it. Escape and a click on
 * the backdrop ask `onClose`; the browser's own closes are reported once. `onOpen` runs as it opens (to reset
 * a form or a query). Modal is built on it; so is any dialog with its own layout (the designer's add menu).
 */
import { useEffect, useRef, type MouseEvent, type SyntheticEvent } from 'react';

export function useModalDialog(open: boolean, onClose: () => void, onOpen?: () => void) {
  const ref = useRef<HTMLDialogElement>(null);
  const wanted = useRef(open);
  const opening = useRef(onOpen);
  opening.current = onOpen;
  useEffect(() => {
    wanted.current = open;
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opening.current?.();
      d.showModal();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return {
    ref,
    // The close event is queued: one from an earlier close can arrive after the dialog was opened again.
    // Only a close the browser made on its own (not asked for, dialog now shut) is reported.
    onClose: () => {
      if (wanted.current && !ref.current?.open) onClose();
    },
    onCancel: (e: SyntheticEvent<HTMLDialogElement>) => {
      e.preventDefault();
      onClose();
    },
    onMouseDown: (e: MouseEvent<HTMLDialogElement>) => {
      if (e.target === e.currentTarget) onClose();
    },
  };
}

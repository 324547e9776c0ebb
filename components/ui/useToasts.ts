'use client';
/**
 * Short confirmations and errors ("Published version 3", "Copied 2 nodes"), shown by <Toasts/> and
 * announced to screen readers. A module-level store: any handler can call `toast(...)`; a page that
 * toasts renders <Toasts/> once.
 */
import { create } from 'zustand';

export type Toast = { id: number; tone: 'info' | 'success' | 'error'; message: string; action?: { label: string; run: () => void } };

type ToastState = { toasts: Toast[]; push(t: Omit<Toast, 'id'>): void; dismiss(id: number): void };

let nextId = 1;
const DURATION_MS = 5000;

export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push(t) {
    const id = nextId++;
    set({ toasts: [...get().toasts.slice(-3), { ...t, id }] });
    setTimeout(() => get().dismiss(id), t.action ? DURATION_MS * 2 : DURATION_MS);
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));

export function toast(message: string, opts: { tone?: Toast['tone']; action?: Toast['action'] } = {}) {
  useToasts.getState().push({ message, tone: opts.tone ?? 'info', ...(opts.action && { action: opts.action }) });
}

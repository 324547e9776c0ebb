/**
 * The designer's keyboard shortcuts: one list that both the key handler and the help overlay (`?`) read,
 * so the overlay can never disagree with what the keys do.
 */
export type ShortcutId =
  | 'undo' | 'redo' | 'copy' | 'cut' | 'paste' | 'duplicate' | 'delete' | 'selectAll' | 'add' | 'layout' | 'fit' | 'save' | 'help' | 'escape';

export type Shortcut = { id: ShortcutId; keys: string[]; label: string };

/** `Mod` is ⌘ on macOS and Ctrl elsewhere. */
export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'add', keys: ['/', 'Mod K'], label: 'Add a step (search, ↑ ↓, Enter)' },
  { id: 'undo', keys: ['Mod Z'], label: 'Undo' },
  { id: 'redo', keys: ['Mod Shift Z', 'Mod Y'], label: 'Redo' },
  { id: 'copy', keys: ['Mod C'], label: 'Copy the selection (also to another workflow)' },
  { id: 'cut', keys: ['Mod X'], label: 'Cut the selection' },
  { id: 'paste', keys: ['Mod V'], label: 'Paste' },
  { id: 'duplicate', keys: ['Mod D'], label: 'Duplicate the selection' },
  { id: 'delete', keys: ['Delete', 'Backspace'], label: 'Delete the selection' },
  { id: 'selectAll', keys: ['Mod A'], label: 'Select everything' },
  { id: 'layout', keys: ['Shift L'], label: 'Auto-layout' },
  { id: 'fit', keys: ['Shift 1'], label: 'Zoom to fit' },
  { id: 'save', keys: ['Mod S'], label: 'Save now (drafts also save by themselves)' },
  { id: 'help', keys: ['?'], label: 'Show these shortcuts' },
  { id: 'escape', keys: ['Escape'], label: 'Clear the selection, close a dialog' },
];

/** Mouse gestures listed in the help overlay. */
export const GESTURES: readonly { keys: string; label: string }[] = [
  { keys: 'Drag from the palette', label: 'Add a step where you drop it' },
  { keys: 'Drag from a port to a node', label: 'Connect (refused with the reason when the rules forbid it)' },
  { keys: 'Shift + drag on the canvas', label: 'Select with a box' },
  { keys: 'Mod + click', label: 'Add to or remove from the selection' },
  { keys: 'Right click on the canvas', label: 'Add a step there' },
  { keys: 'Drag the canvas, scroll', label: 'Pan, zoom' },
];

export const isMac = () => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** Which shortcut a keydown is, if any. */
export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'code' | 'metaKey' | 'ctrlKey' | 'shiftKey' | 'altKey'>): ShortcutId | null {
  const mod = e.metaKey || e.ctrlKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return null;
  if (mod) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 'c') return 'copy';
    if (key === 'x') return 'cut';
    if (key === 'v') return 'paste';
    if (key === 'd') return 'duplicate';
    if (key === 'a') return 'selectAll';
    if (key === 'k') return 'add';
    if (key === 's') return 'save';
    return null;
  }
  if (key === 'Delete' || key === 'Backspace') return 'delete';
  if (key === '/') return 'add';
  if (key === '?') return 'help';
  if (key === 'Escape') return 'escape';
  if (e.shiftKey && key === 'l') return 'layout';
  if (e.shiftKey && (e.code === 'Digit1' || key === '!')) return 'fit';
  return null;
}

/** Whether the key event belongs to a text field (then the designer leaves it alone). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || !!target.closest('dialog');
}

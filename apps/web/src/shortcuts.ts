/** Keyboard shortcuts of the room page, as a pure mapping from key events to actions. */
export type ShortcutAction = 'recognize' | 'undo' | 'redo' | 'clear' | 'save' | 'load' | 'eraser' | 'help' | 'close';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export const SHORTCUTS: readonly { keys: string; action: ShortcutAction; description: string }[] = [
  { keys: 'Enter', action: 'recognize', description: 'Recognize the board now' },
  { keys: 'Ctrl/⌘ + Z', action: 'undo', description: 'Undo your last stroke or erase' },
  { keys: 'Ctrl/⌘ + Shift + Z, Ctrl + Y', action: 'redo', description: 'Redo' },
  { keys: 'Delete', action: 'clear', description: 'Clear the board (it goes to the history)' },
  { keys: 'Ctrl/⌘ + S', action: 'save', description: 'Save as PNG and JSON' },
  { keys: 'Ctrl/⌘ + O', action: 'load', description: 'Load a saved JSON or a PNG' },
  { keys: 'E', action: 'eraser', description: 'Switch between the pen and the eraser (it erases your own strokes)' },
  { keys: '?', action: 'help', description: 'Show or hide this help' },
  { keys: 'Escape', action: 'close', description: 'Close this help or any other dialog' },
];

export function shortcutFor(e: KeyLike): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return null;
  if (mod && key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (mod && key === 'y') return 'redo';
  if (mod && key === 's') return 'save';
  if (mod && key === 'o') return 'load';
  if (mod) return null;
  if (key === 'Enter') return 'recognize';
  if (key === 'Delete') return 'clear';
  if (key === 'e' && !e.shiftKey) return 'eraser';
  if (key === '?') return 'help';
  if (key === 'Escape') return 'close';
  return null;
}

/** Where a key was pressed, as far as shortcuts care. */
export interface KeyContext {
  /** A modal dialog is open: it owns the keyboard (Escape closes it). */
  dialogOpen: boolean;
  /** Focus is in a text field, a select or an editable element: keys are typing. */
  inTextField: boolean;
  /** Focus is on a button, link or summary: Enter activates it. */
  onControl: boolean;
}

/** The action for a key press in its context, or null when the key belongs to something else. */
export function shortcutIn(e: KeyLike, ctx: KeyContext): ShortcutAction | null {
  if (ctx.dialogOpen || ctx.inTextField) return null;
  const action = shortcutFor(e);
  if (action === 'recognize' && ctx.onControl) return null;
  return action;
}

/** Reads the context of a key event from the page. */
export function keyContext(target: EventTarget | null, doc: Document): KeyContext {
  const el = target instanceof Element ? target : null;
  return {
    dialogOpen: doc.querySelector('dialog[open]') !== null,
    inTextField: !!el && (el.matches('input, textarea, select') || (el instanceof HTMLElement && el.isContentEditable)),
    onControl: !!el && el.matches('button, a[href], summary, [role="button"]'),
  };
}

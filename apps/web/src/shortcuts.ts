/** Keyboard shortcuts of the room page, as a pure mapping from key events to actions. */
export type ShortcutAction = 'recognize' | 'undo' | 'redo' | 'clear' | 'save' | 'load' | 'help' | 'close';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export const SHORTCUTS: readonly { keys: string; action: ShortcutAction; description: string }[] = [
  { keys: 'Enter', action: 'recognize', description: 'Recognize the board now' },
  { keys: 'Ctrl/⌘ + Z', action: 'undo', description: 'Undo your last stroke' },
  { keys: 'Ctrl/⌘ + Shift + Z, Ctrl + Y', action: 'redo', description: 'Redo' },
  { keys: 'Delete', action: 'clear', description: 'Clear the board (it goes to the history)' },
  { keys: 'Ctrl/⌘ + S', action: 'save', description: 'Save as PNG and JSON' },
  { keys: 'Ctrl/⌘ + O', action: 'load', description: 'Load a saved JSON or a PNG' },
  { keys: '?', action: 'help', description: 'Show or hide this help' },
  { keys: 'Escape', action: 'close', description: 'Close this help' },
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
  if (key === '?') return 'help';
  if (key === 'Escape') return 'close';
  return null;
}

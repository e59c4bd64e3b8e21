import { describe, expect, it } from 'vitest';
import { type KeyContext, shortcutFor, shortcutIn } from './shortcuts.js';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});
const page: KeyContext = { dialogOpen: false, inTextField: false, onControl: false };

describe('shortcuts', () => {
  it('maps keys to actions', () => {
    expect(shortcutFor(key('z', { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(shortcutFor(key('y', { metaKey: true }))).toBe('redo');
    expect(shortcutFor(key('Enter'))).toBe('recognize');
    expect(shortcutFor(key('Delete'))).toBe('clear');
    expect(shortcutFor(key('?', { shiftKey: true }))).toBe('help');
    expect(shortcutFor(key('a'))).toBeNull();
  });

  it('leaves Enter to the focused button (Enter on Clear clears, it does not recognize)', () => {
    expect(shortcutIn(key('Enter'), { ...page, onControl: true })).toBeNull();
    expect(shortcutIn(key('z', { ctrlKey: true }), { ...page, onControl: true })).toBe('undo');
    expect(shortcutIn(key('Enter'), page)).toBe('recognize');
  });

  it('types in text fields and leaves an open dialog alone', () => {
    expect(shortcutIn(key('z', { ctrlKey: true }), { ...page, inTextField: true })).toBeNull();
    expect(shortcutIn(key('Delete'), { ...page, dialogOpen: true })).toBeNull();
  });
});

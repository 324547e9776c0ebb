import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor } from './shortcuts';

const key = (k: string, mods: { meta?: boolean; ctrl?: boolean; shift?: boolean; code?: string } = {}) =>
  shortcutFor({ key: k, code: mods.code ?? '', metaKey: !!mods.meta, ctrlKey: !!mods.ctrl, shiftKey: !!mods.shift, altKey: false });

describe('shortcuts', () => {
  it('undo, redo with Ctrl or ⌘, with Shift+Z or Y', () => {
    expect(key('z', { ctrl: true })).toBe('undo');
    expect(key('z', { meta: true })).toBe('undo');
    expect(key('Z', { ctrl: true, shift: true })).toBe('redo');
    expect(key('y', { ctrl: true })).toBe('redo');
  });

  it('every listed shortcut is recognised', () => {
    const parse = (combo: string) => {
      const parts = combo.split(' ');
      const k = parts.at(-1)!;
      return key(k.length === 1 ? k.toLowerCase() : k, { ctrl: parts.includes('Mod'), shift: parts.includes('Shift'), code: k === '1' ? 'Digit1' : '' });
    };
    for (const s of SHORTCUTS) for (const combo of s.keys) expect([combo, parse(combo)]).toEqual([combo, s.id]);
  });

  it('plain letters do nothing', () => {
    expect(key('a')).toBeNull();
    expect(key('l')).toBeNull();
  });
});

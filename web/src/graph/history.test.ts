import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, createHistory, push, redo, replacePresent, undo } from './history';

describe('history', () => {
  it('undoes and redoes', () => {
    let h = createHistory(1);
    h = push(h, 2, { now: 0 });
    h = push(h, 3, { now: 5000 });
    expect(h.present).toBe(3);
    h = undo(h);
    expect(h.present).toBe(2);
    expect(canRedo(h)).toBe(true);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(redo(h));
    expect(h.present).toBe(3);
    expect(redo(h)).toBe(h);
  });

  it('drops the redo branch on a new edit', () => {
    let h = push(push(createHistory('a'), 'b'), 'c');
    h = undo(h);
    h = push(h, 'd');
    expect(h.future).toEqual([]);
    expect(h.past).toEqual(['a', 'b']);
  });

  it('merges quick edits with the same key', () => {
    let h = createHistory('');
    h = push(h, 'h', { key: 'name', now: 0 });
    h = push(h, 'he', { key: 'name', now: 300 });
    h = push(h, 'hey', { key: 'name', now: 600 });
    expect(h.past).toEqual(['']);
    h = push(h, 'hey!', { key: 'name', now: 5000 });
    expect(h.past).toEqual(['', 'hey']);
    h = push(h, 'x', { key: 'other', now: 5100 });
    expect(h.past).toEqual(['', 'hey', 'hey!']);
  });

  it('ignores a push of the same value and keeps a limit', () => {
    const h0 = createHistory(0);
    expect(push(h0, 0)).toBe(h0);
    let h = h0;
    for (let i = 1; i <= 10; i++) h = push(h, i, { limit: 3 });
    expect(h.past).toEqual([7, 8, 9]);
  });

  it('replaces the present without an undo step', () => {
    const h = replacePresent(push(createHistory(1), 2), 3);
    expect(h.present).toBe(3);
    expect(h.past).toEqual([1]);
  });
});

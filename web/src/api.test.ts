import { describe, expect, it } from 'vitest';
import { contactItems, nextCursor } from './api';

describe('pages of node contacts', () => {
  it('reads the items and the next cursor of the server’s page', () => {
    const page = { items: [{ contact: 'c1', run: 'r1', status: 'active' }], next: '17:r1' };
    expect(contactItems(page)).toEqual(page.items);
    expect(nextCursor(page)).toBe('17:r1');
    expect(nextCursor({ items: [], next: null })).toBeNull();
    expect(nextCursor({ items: [], next_cursor: 'x' })).toBe('x');
  });

  it('accepts a bare list (no more pages)', () => {
    expect(contactItems([{ contact: 'c1' }])).toEqual([{ contact: 'c1' }]);
    expect(nextCursor([{ contact: 'c1' }])).toBeNull();
    expect(contactItems(undefined)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { last30Days } from './daily';

describe('last30Days', () => {
  it('fills thirty days ending today with zeros where nothing happened', () => {
    const out = last30Days([{ day: '2026-11-23', entered: 5, completed: 2, exited: 1 }, { day: '2026-10-01', entered: 9, completed: 0, exited: 0 }], new Date('2026-11-23T15:00:00Z'));
    expect(out).toHaveLength(30);
    expect(out[0]!.day).toBe('2026-10-25');
    expect(out[29]).toEqual({ day: '2026-11-23', entered: 5, completed: 2, exited: 1 });
    expect(out.reduce((a, d) => a + d.entered, 0)).toBe(5);
  });
});

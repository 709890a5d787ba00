import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../types';
import { runId, runPath } from './runs';

describe('runPath', () => {
  it('flattens the server history, one line per step', () => {
    const run = {
      run: 'r1',
      history: [
        { at: '2026-11-23T10:00:00Z', steps: [{ node: 'new_order', event: 'order.created' }, { node: 'made_order', action: 'add_to_list', list: 'L' }] },
        { note: 'legacy' },
        { at: '2026-11-24T10:00:00Z', node: 'outcome', event: 'order.paid' },
      ],
    } as unknown as RunRecord;
    expect(runId(run)).toBe('r1');
    expect(runPath(run)).toEqual([
      { at: '2026-11-23T10:00:00Z', node: 'new_order', details: [['event', 'order.created']] },
      { at: '2026-11-23T10:00:00Z', node: 'made_order', details: [['action', 'add_to_list'], ['list', 'L']] },
      { at: undefined, node: undefined, details: [['note', 'legacy']] },
      { at: '2026-11-24T10:00:00Z', node: 'outcome', details: [['event', 'order.paid']] },
    ]);
  });
});

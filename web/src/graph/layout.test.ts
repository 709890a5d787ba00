import { describe, expect, it } from 'vitest';
import type { PNode, ProcessDoc } from '../types';
import { autoPositions, BRANCH_ROOM, freeSpot, LAYER_GAP, layeredLayout, rowGap, shiftBelow } from './layout';
import { fixture } from './fixtures';

describe('layout', () => {
  it('lays out top to bottom, branches side by side, loops ignored', () => {
    const d = fixture('lead-to-buyer');
    const pos = layeredLayout(d.nodes);
    expect(Object.keys(pos).sort()).toEqual(Object.keys(d.nodes).sort());
    expect(pos.form!.y).toBe(0);
    expect(pos.start_campaign_1!.y).toBeGreaterThan(pos.form!.y);
    expect(pos.is_customer!.y).toBeGreaterThan(pos.first_check!.y);
    const seen = new Set(Object.values(pos).map((p) => `${p.x},${p.y}`));
    expect(seen.size).toBe(Object.keys(pos).length);
  });

  it('places only the nodes without a position, next to a placed predecessor', () => {
    const d = fixture('personal-offer');
    d.nodes.extra = { type: 'end' };
    d.nodes.cheaper = { ...d.nodes.cheaper!, next: 'extra' };
    const auto = autoPositions(d);
    expect(Object.keys(auto)).toEqual(['extra']);
    expect(auto.extra!.y).toBeGreaterThan(380);
  });

  it('leaves more room below a step with several branches', () => {
    const pos = layeredLayout(fixture('personal-offer').nodes);
    expect(pos.made_order!.y - pos.new_order!.y).toBe(LAYER_GAP);
    expect(pos.cheaper!.y - pos.outcome!.y).toBe(LAYER_GAP + BRANCH_ROOM);
    expect(rowGap({ type: 'condition', if: { tag: 'x' }, yes: 'a', no: 'b' })).toBe(LAYER_GAP + BRANCH_ROOM);
    expect(rowGap({ type: 'end' })).toBe(LAYER_GAP);
  });

  it('handles 300 nodes quickly', () => {
    const nodes: Record<string, PNode> = { t: { type: 'trigger', event: 'e', next: 'n0' } };
    for (let i = 0; i < 300; i++) {
      nodes[`n${i}`] = i % 3 === 0
        ? { type: 'condition', if: { tag: 'x' }, yes: `n${i + 1}`, no: `n${i + 2}` }
        : { type: 'action', do: 'add_tag', tag: 'x', next: `n${i + 1}` };
    }
    nodes.n300 = { type: 'end' };
    nodes.n301 = { type: 'end' };
    const doc: ProcessDoc = { nurtura: 1, name: 'big', nodes };
    const t0 = performance.now();
    const pos = autoPositions(doc);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(Object.keys(pos)).toHaveLength(303);
  });
});

describe('freeSpot', () => {
  it('moves a new step off the steps already there', () => {
    expect(freeSpot({ x: 0, y: 0 }, [])).toEqual({ x: 0, y: 0 });
    const p = freeSpot({ x: 0, y: 0 }, [{ x: 10, y: 10 }]);
    expect(Math.abs(p.x - 10) >= 210 || Math.abs(p.y - 10) >= 90).toBe(true);
  });
});

describe('shiftBelow', () => {
  it('moves down what is at or below a line', () => {
    expect(shiftBelow({ a: { x: 0, y: 0 }, b: { x: 5, y: 120 }, c: { x: 9, y: 300 } }, 120, 140)).toEqual({ b: { x: 5, y: 260 }, c: { x: 9, y: 440 } });
  });
});

import { describe, expect, it } from 'vitest';
import { fixture } from '../graph/fixtures';
import { updateNode, withPositions } from '../graph/ops';
import { dropEstimates, estimatedHandles, syncEdges, syncNodes, type Decor } from './sync';

const plain = (): Decor => ({ live: false, label: 'x' });
const words = { yes: 'yes', no: 'no', timeout: 'timeout' };

describe('syncNodes / syncEdges', () => {
  it('keeps every unchanged node object when one step changes', () => {
    const doc = fixture('auto-webinar');
    const first = syncNodes([], doc, {}, plain);
    expect(syncNodes(first, doc, {}, plain)).toBe(first);
    const edited = updateNode(doc, 'confirm', { ...doc.nodes.confirm!, template: 'other' });
    const second = syncNodes(first, edited, {}, plain);
    const changed = second.filter((n, i) => n !== first[i]).map((n) => n.id);
    expect(changed).toEqual(['confirm']);
  });

  it('moves only the moved node and keeps React Flow state (selection, size)', () => {
    const doc = fixture('personal-offer');
    const first = syncNodes([], doc, {}, plain).map((n) => (n.id === 'd50' ? { ...n, selected: true, measured: { width: 200, height: 60 } } : n));
    const moved = withPositions(doc, { d50: { x: 5, y: 5 } });
    const second = syncNodes(first, moved, {}, plain);
    const d50 = second.find((n) => n.id === 'd50')!;
    expect(d50.position).toEqual({ x: 5, y: 5 });
    expect(d50.selected).toBe(true);
    expect(d50.measured).toEqual({ width: 200, height: 60 });
    expect(second.filter((n, i) => n !== first[i])).toHaveLength(1);
  });

  it('re-renders a node whose problems or numbers change', () => {
    const doc = fixture('personal-offer');
    const first = syncNodes([], doc, {}, plain);
    const second = syncNodes(first, doc, {}, (id) => ({ live: false, label: 'x', problems: id === 'd30' ? ['bad'] : undefined }));
    expect(second.filter((n, i) => n !== first[i]).map((n) => n.id)).toEqual(['d30']);
    expect(second.find((n) => n.id === 'd30')?.data.problems).toEqual(['bad']);
  });

  it('keeps edges that did not change', () => {
    const doc = fixture('personal-offer');
    const first = syncEdges([], doc, words);
    expect(syncEdges(first, doc, words)).toBe(first);
    const edited = updateNode(doc, 'by_total', { ...doc.nodes.by_total!, yes: 'converted' });
    const second = syncEdges(first, edited, words);
    expect(second.filter((e, i) => e !== first[i]).map((e) => e.id)).toEqual(['by_total::yes']);
  });

  it('redraws both links when a step links twice to one target (lanes)', () => {
    const doc = fixture('personal-offer');
    const first = syncEdges([], doc, words);
    const edited = updateNode(doc, 'by_total', { ...doc.nodes.by_total!, yes: 'd30' });
    const second = syncEdges(first, edited, words);
    expect(second.filter((e, i) => e !== first[i]).map((e) => e.id)).toEqual(['by_total::yes', 'by_total::no']);
    expect(second.filter((e) => e.source === 'by_total').map((e) => [e.data?.lane, e.data?.lanes])).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });

  it('gives unmeasured steps estimated handles, one per branch, dropped once measured', () => {
    const doc = fixture('personal-offer');
    const first = syncNodes([], doc, {}, plain);
    const wait = first.find((n) => n.id === 'outcome')!;
    expect(wait.handles?.map((h) => [h.type, h.id])).toEqual([
      ['target', null],
      ['source', 'for:0'],
      ['source', 'for:1'],
      ['source', 'timeout'],
    ]);
    expect(first.find((n) => n.id === 'new_order')!.handles?.map((h) => h.id)).toEqual(['next']);
    expect(estimatedHandles({ type: 'end' }).map((h) => h.type)).toEqual(['target']);
    const measured = first.map((n) => (n.id === 'outcome' ? { ...n, measured: { width: 200, height: 90 } } : n));
    const settled = dropEstimates(measured);
    expect(settled.find((n) => n.id === 'outcome')!.handles).toBeUndefined();
    expect(settled.find((n) => n.id === 'cheaper')).toBe(first.find((n) => n.id === 'cheaper'));
    expect(dropEstimates(first)).toBe(first);
  });
});

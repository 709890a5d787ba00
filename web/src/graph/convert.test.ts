import { describe, expect, it } from 'vitest';
import type { ProcessDoc } from '../types';
import { branchLabel, docToFlow, edgeId, flowToDoc } from './convert';
import { FIXTURES, fixture } from './fixtures';
import { branchesOf } from './model';

describe('docToFlow / flowToDoc', () => {
  it('has every library process as a fixture', () => {
    expect(FIXTURES.map((f) => f.name)).toEqual(
      expect.arrayContaining(['personal-offer', 'course-reminder', 'unpaid-invoice', 'lead-to-buyer', 'auto-webinar']),
    );
  });

  for (const f of FIXTURES) {
    it(`round-trips ${f.name} exactly (same JSON text, key order included)`, () => {
      const doc = JSON.parse(f.text) as ProcessDoc;
      const { nodes, edges } = docToFlow(doc);
      const back = flowToDoc(doc, nodes, edges);
      expect(back).toEqual(JSON.parse(f.text));
      expect(JSON.stringify(back)).toBe(JSON.stringify(JSON.parse(f.text)));
    });

    it(`makes one edge per linked branch of ${f.name}`, () => {
      const doc = JSON.parse(f.text) as ProcessDoc;
      const { nodes, edges } = docToFlow(doc);
      expect(nodes).toHaveLength(Object.keys(doc.nodes).length);
      const linked = Object.values(doc.nodes).flatMap((n) => branchesOf(n).filter((b) => b.target !== undefined));
      expect(edges).toHaveLength(linked.length);
      expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
    });
  }

  it('uses ui positions and labels branches', () => {
    const doc = fixture('personal-offer');
    const { nodes, edges } = docToFlow(doc);
    expect(nodes.find((n) => n.id === 'cheaper')?.position).toEqual({ x: -220, y: 380 });
    expect(nodes.every((n) => !n.data.auto)).toBe(true);
    const byId = new Map(edges.map((e) => [e.id, e]));
    expect(byId.get(edgeId('by_total', 'yes'))).toMatchObject({ source: 'by_total', target: 'd50', sourceHandle: 'yes', data: { label: 'yes' } });
    expect(byId.get(edgeId('by_total', 'no'))?.data?.label).toBe('no');
    expect(byId.get(edgeId('outcome', 'for:0'))).toMatchObject({ target: 'cheaper', data: { label: 'order.cancelled', kind: 'event' } });
    expect(byId.get(edgeId('outcome', 'for:1'))?.data?.label).toBe('order.paid');
    expect(byId.get(edgeId('outcome', 'timeout'))).toMatchObject({ target: 'done', data: { label: 'timeout 30d' } });
    expect(byId.get(edgeId('new_order', 'next'))?.data?.label).toBe('');
  });

  it('labels split branches with their share', () => {
    const node = { type: 'split', branches: [{ weight: 1, next: 'a' }, { weight: 3, next: 'b' }] };
    const [a, b] = branchesOf(node);
    expect(branchLabel(a!, node)).toBe('25%');
    expect(branchLabel(b!, node)).toBe('75%');
  });

  it('lays out nodes without a position and does not write them to ui', () => {
    const doc: ProcessDoc = {
      nurtura: 1,
      name: 'No ui',
      nodes: {
        t: { type: 'trigger', event: 'order.paid', next: 'c' },
        c: { type: 'condition', if: { tag: 'x' }, yes: 'a', no: 'b' },
        a: { type: 'end' },
        b: { type: 'end' },
      },
    };
    const { nodes, edges } = docToFlow(doc);
    expect(nodes.every((n) => n.data.auto)).toBe(true);
    const pos = Object.fromEntries(nodes.map((n) => [n.id, n.position]));
    expect(pos.t!.y).toBeLessThan(pos.c!.y);
    expect(pos.c!.y).toBeLessThan(pos.a!.y);
    expect(pos.a!.x).not.toBe(pos.b!.x);
    const back = flowToDoc(doc, nodes, edges);
    expect(JSON.stringify(back)).toBe(JSON.stringify(doc));
    expect('ui' in back).toBe(false);
  });

  it('writes edits back: a moved node, a new edge, a removed edge, a deleted node', () => {
    const doc = fixture('course-reminder');
    const { nodes, edges } = docToFlow(doc);
    const moved = nodes
      .filter((n) => n.id !== 'started')
      .map((n) => (n.id === 'reminder' ? { ...n, position: { x: 250, y: 400 } } : n));
    const kept = edges.filter((e) => e.source !== 'opened_lesson_1' && e.target !== 'started');
    kept.push({ id: edgeId('opened_lesson_1', 'no'), source: 'opened_lesson_1', sourceHandle: 'no', target: 'reminded', type: 'branch' });
    const back = flowToDoc(doc, moved, kept);
    expect(Object.keys(back.nodes)).toEqual(['paid', 'week', 'opened_lesson_1', 'reminder', 'reminded']);
    expect(back.nodes.opened_lesson_1).toEqual({ type: 'condition', if: { tag: 'Lesson1' }, no: 'reminded' });
    expect(back.ui?.reminder).toEqual({ x: 250, y: 400 });
    expect(back.ui && 'started' in back.ui).toBe(false);
    expect(back.name).toBe(doc.name);
  });

  it('keeps a link to a missing node for the validator to report', () => {
    const doc: ProcessDoc = { nurtura: 1, name: 'x', nodes: { t: { type: 'trigger', event: 'e', next: 'ghost' } } };
    const { nodes, edges } = docToFlow(doc);
    expect(edges).toHaveLength(0);
    expect(flowToDoc(doc, nodes, edges).nodes.t).toEqual({ type: 'trigger', event: 'e', next: 'ghost' });
  });

  it('keeps extra keys of ui entries and unknown top-level keys', () => {
    const doc = {
      nurtura: 1,
      name: 'x',
      x_custom: { a: 1 },
      nodes: { t: { type: 'trigger', event: 'e' } },
      ui: { t: { x: 1, y: 2, note: 'hi' }, orphan: { x: 0, y: 0 } },
    } as ProcessDoc;
    const { nodes, edges } = docToFlow(doc);
    const same = flowToDoc(doc, nodes, edges);
    expect(JSON.stringify(same)).toBe(JSON.stringify(doc));
    const moved = flowToDoc(doc, [{ ...nodes[0]!, position: { x: 5, y: 6 } }], edges);
    expect(moved.ui).toEqual({ t: { x: 5, y: 6, note: 'hi' }, orphan: { x: 0, y: 0 } });
  });
});

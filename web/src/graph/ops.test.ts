import { describe, expect, it } from 'vitest';
import type { ProcessDoc } from '../types';
import { fixture } from './fixtures';
import { ACTIONS } from './model';
import { addNode, changeAction, connect, deleteNodes, disconnect, insertOnEdge, newNode, PALETTE, renameNode, setDocKey, uniqueId, withPositions } from './ops';

describe('ops', () => {
  it('offers every node type and every action in the palette', () => {
    for (const t of ['trigger', 'condition', 'wait', 'delay', 'split', 'end']) expect(PALETTE).toContain(t);
    for (const a of Object.keys(ACTIONS)) expect(PALETTE).toContain(`action:${a}`);
    expect(newNode('action:set_stage')).toEqual({ type: 'action', do: 'set_stage', funnel: '', stage: '' });
  });

  it('adds a node with a fresh id and a ui position', () => {
    const d = fixture('personal-offer');
    const r = addNode(d, 'action:send_email', { x: 10.4, y: 20.6 });
    expect(r.id).toBe('send_email');
    const r2 = addNode(r.doc, 'action:send_email', { x: 0, y: 0 });
    expect(r2.id).toBe('send_email_2');
    expect(r.doc.ui?.send_email).toEqual({ x: 10, y: 21 });
    expect(d.nodes.send_email).toBeUndefined();
    expect(r.doc.nodes.by_total).toBe(d.nodes.by_total);
  });

  it('inserts a node on an edge', () => {
    const d = fixture('personal-offer');
    const r = insertOnEdge(d, 'by_total', 'yes', 'delay', { x: 0, y: 0 });
    expect(r.doc.nodes.by_total?.yes).toBe('delay');
    expect(r.doc.nodes.delay).toEqual({ type: 'delay', for: '1d', next: 'd50' });
    const w = insertOnEdge(d, 'made_order', 'next', 'wait', { x: 0, y: 0 });
    expect(w.doc.nodes.wait).toEqual({ type: 'wait', for: [{ event: '', next: 'outcome' }], timeout: '1d', on_timeout: 'outcome' });
    const e = insertOnEdge(d, 'cheaper', 'next', 'end', { x: 0, y: 0 });
    expect(e.doc.nodes.cheaper?.next).toBe('end');
    expect(e.doc.nodes.end).toEqual({ type: 'end' });
  });

  it('connects and disconnects branches, keeping key order', () => {
    const d = fixture('personal-offer');
    const c = connect(d, 'outcome', 'for:1', 'd30');
    expect(c.nodes.outcome?.for).toEqual([{ event: 'order.cancelled', next: 'cheaper' }, { event: 'order.paid', next: 'd30' }]);
    expect(connect(d, 'outcome', 'timeout', 'new_order')).toBe(d);
    const x = disconnect(d, 'by_total', 'yes');
    expect(Object.keys(x.nodes.by_total!)).toEqual(['type', 'if', 'no']);
    const y = connect(x, 'by_total', 'yes', 'd50');
    expect(Object.keys(y.nodes.by_total!)).toEqual(['type', 'if', 'no', 'yes']);
  });

  it('deletes nodes with their links and positions', () => {
    const d = fixture('personal-offer');
    const x = deleteNodes(d, ['by_total', 'done']);
    expect(x.nodes.by_total).toBeUndefined();
    expect(x.nodes.outcome).toEqual({ type: 'wait', for: [{ event: 'order.cancelled', next: 'cheaper' }, { event: 'order.paid' }], timeout: '30d' });
    expect(x.ui && 'by_total' in x.ui).toBe(false);
  });

  it('renames a node and every link to it, in place', () => {
    const d = fixture('personal-offer');
    const x = renameNode(d, 'by_total', 'by_paid');
    expect(Object.keys(x.nodes).indexOf('by_paid')).toBe(Object.keys(d.nodes).indexOf('by_total'));
    expect((x.nodes.outcome?.for as { next: string }[])[1]?.next).toBe('by_paid');
    expect(x.ui?.by_paid).toEqual({ x: 220, y: 380 });
    expect(renameNode(d, 'by_total', 'd50')).toBe(d);
  });

  it('changes the action of a node, keeping next', () => {
    expect(changeAction({ type: 'action', do: 'add_tag', tag: 'x', next: 'n' }, 'send_email')).toEqual({ type: 'action', do: 'send_email', template: '', next: 'n' });
    expect(Object.keys(changeAction({ type: 'action', do: 'add_tag', tag: 'x', next: 'n' }, 'remove_tag'))).toEqual(['type', 'do', 'tag', 'next']);
  });

  it('makes unique ids and sets top-level keys in place', () => {
    const taken = new Set(['a', 'a_2']);
    expect(uniqueId((x) => taken.has(x), 'a')).toBe('a_3');
    expect(uniqueId((x) => taken.has(x), 'a_2')).toBe('a_3');
    expect(uniqueId(() => false, 'send email!')).toBe('send_email');
    const d: ProcessDoc = { nurtura: 1, name: 'x', reentry: 'once', nodes: {} };
    expect(Object.keys(setDocKey(d, 'name', 'y'))).toEqual(['nurtura', 'name', 'reentry', 'nodes']);
    expect('reentry' in setDocKey(d, 'reentry', undefined)).toBe(false);
    expect(withPositions(d, {}).ui).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { copyNodes, parseClipboard, pasteNodes, serializeClipboard } from './clipboard';
import { fixture } from './fixtures';

describe('clipboard', () => {
  it('copies the selected nodes as a process file', () => {
    const d = fixture('personal-offer');
    const clip = copyNodes(d, ['by_total', 'd50', 'd30']);
    expect(clip.nurtura).toBe(1);
    expect(Object.keys(clip.nodes)).toEqual(['by_total', 'd50', 'd30']);
    expect(clip.ui?.d50).toEqual({ x: 120, y: 520 });
    expect(parseClipboard(serializeClipboard(clip))).toEqual(clip);
  });

  it('renames clashing ids on paste and keeps inner links', () => {
    const d = fixture('personal-offer');
    const clip = copyNodes(d, ['by_total', 'd50', 'd30']);
    const r = pasteNodes(d, clip);
    expect(r.ids).toEqual(['by_total_2', 'd50_2', 'd30_2']);
    expect(r.doc.nodes.by_total_2).toEqual({ type: 'condition', if: { total_paid: { gte: 50000 } }, yes: 'd50_2', no: 'd30_2' });
    // The link to "converted" (not copied) is dropped.
    expect(r.doc.nodes.d50_2).toEqual({ type: 'action', do: 'send_email', template: 'discount-50' });
    expect(r.doc.ui?.by_total_2).toEqual({ x: 260, y: 420 });
    // The original is untouched and the pasted nodes are copies.
    expect(r.doc.nodes.by_total).toBe(d.nodes.by_total);
    expect(r.doc.nodes.by_total_2).not.toBe(d.nodes.by_total);
  });

  it('pastes into another process without renaming, at a given place', () => {
    const d = fixture('personal-offer');
    const other = fixture('course-reminder');
    const r = pasteNodes(other, copyNodes(d, ['made_order', 'outcome']), { x: 500, y: 0 });
    expect(r.ids).toEqual(['made_order', 'outcome']);
    expect(r.doc.nodes.outcome).toEqual({ type: 'wait', for: [{ event: 'order.cancelled' }, { event: 'order.paid' }], timeout: '30d' });
    expect(r.doc.ui?.made_order).toEqual({ x: 500, y: 0 });
    expect(r.doc.ui?.outcome).toEqual({ x: 500, y: 120 });
  });

  it('pastes twice with fresh ids each time', () => {
    const d = fixture('course-reminder');
    const clip = copyNodes(d, ['week']);
    const once = pasteNodes(d, clip);
    const twice = pasteNodes(once.doc, clip);
    expect(twice.ids).toEqual(['week_3']);
  });

  it('refuses text that is not a process file', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"nodes": {}}')).toBeNull();
    expect(parseClipboard('{"nurtura": 1, "nodes": {"a": 3}}')).toBeNull();
    expect(parseClipboard(null)).toBeNull();
  });
});

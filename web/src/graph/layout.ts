/**
 * Automatic top-to-bottom layout for nodes without a `ui` position: a small layered
 * (Sugiyama-style) layout: longest-path layers from the triggers, back edges ignored,
 * order inside a layer by a few barycentre sweeps.
 */
import type { ProcessDoc, XY } from '../types';
import type { PNode } from '../types';
import { branchesOf, isObject, targetsOf } from './model';

export const LAYER_GAP = 140;
export const COLUMN_GAP = 240;
/** Extra room below a step with several branches (a wait, a condition, a split): its card
 * is taller, and its links' labels and "+" buttons need space between the rows. */
export const BRANCH_ROOM = 100;

/** The distance from a step's row to the next row. */
export function rowGap(node: PNode | undefined): number {
  return node && branchesOf(node).length > 1 ? LAYER_GAP + BRANCH_ROOM : LAYER_GAP;
}

/** Positions for every node of the graph, laid out from scratch. */
export function layeredLayout(nodes: ProcessDoc['nodes']): Record<string, XY> {
  const ids = Object.keys(nodes);
  const succ = new Map<string, string[]>();
  for (const id of ids) {
    const node = nodes[id];
    const ts = node ? targetsOf(node).filter((t) => t in nodes) : [];
    succ.set(id, [...new Set(ts)]);
  }
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const ts of succ.values()) for (const t of ts) indeg.set(t, (indeg.get(t) ?? 0) + 1);

  // Roots: triggers first (file order), then nodes nothing links to, then whatever is left.
  const roots = [
    ...ids.filter((id) => nodes[id]?.type === 'trigger'),
    ...ids.filter((id) => nodes[id]?.type !== 'trigger' && indeg.get(id) === 0),
  ];
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const back = new Set<string>();
  const visit = (root: string) => {
    // Iterative DFS (a 300-node chain must not overflow the stack).
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    state.set(root, 1);
    order.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; i: number };
      const ts = succ.get(top.id) ?? [];
      if (top.i >= ts.length) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const t = ts[top.i++] as string;
      const s = state.get(t);
      if (s === 1) back.add(`${top.id}\u0000${t}`);
      else if (s === undefined) {
        state.set(t, 1);
        order.push(t);
        stack.push({ id: t, i: 0 });
      }
    }
  };
  for (const r of roots) if (!state.has(r)) visit(r);
  for (const id of ids) if (!state.has(id)) visit(id);

  // Longest-path layering over the DAG (back edges removed), in DFS pre-order.
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [s, ts] of succ) {
    for (const t of ts) if (!back.has(`${s}\u0000${t}`)) preds.get(t)?.push(s);
  }
  const layer = new Map<string, number>();
  const topo = topoOrder(ids, succ, back);
  for (const id of topo) {
    const ps = preds.get(id) ?? [];
    layer.set(id, ps.length === 0 ? 0 : Math.max(...ps.map((p) => (layer.get(p) ?? 0) + 1)));
  }

  const layers: string[][] = [];
  const rank = new Map(order.map((id, i) => [id, i]));
  for (const id of order) {
    const l = layer.get(id) ?? 0;
    (layers[l] ??= []).push(id);
  }
  const pos = new Map<string, number>();
  const place = () => layers.forEach((ls) => ls.forEach((id, i) => pos.set(id, i - (ls.length - 1) / 2)));
  place();
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let l = 1; l < layers.length; l++) {
      const ls = layers[l] ?? [];
      const bary = new Map<string, number>();
      for (const id of ls) {
        const ps = (preds.get(id) ?? []).map((p) => pos.get(p) ?? 0);
        bary.set(id, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : (pos.get(id) ?? 0));
      }
      ls.sort((a, b) => (bary.get(a) ?? 0) - (bary.get(b) ?? 0) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
      ls.forEach((id, i) => pos.set(id, i - (ls.length - 1) / 2));
    }
  }
  const rowY: number[] = [];
  let y = 0;
  layers.forEach((ls, l) => {
    rowY[l] = y;
    y += Math.max(LAYER_GAP, ...ls.map((id) => rowGap(nodes[id])));
  });
  const out: Record<string, XY> = {};
  layers.forEach((ls, l) =>
    ls.forEach((id) => {
      out[id] = { x: Math.round((pos.get(id) ?? 0) * COLUMN_GAP), y: rowY[l] ?? l * LAYER_GAP };
    }),
  );
  return out;
}

function topoOrder(ids: string[], succ: Map<string, string[]>, back: Set<string>): string[] {
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const [s, ts] of succ) {
    for (const t of ts) if (!back.has(`${s}\u0000${t}`)) indeg.set(t, (indeg.get(t) ?? 0) + 1);
  }
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const out: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    out.push(id);
    for (const t of succ.get(id) ?? []) {
      if (back.has(`${id}\u0000${t}`)) continue;
      const d = (indeg.get(t) ?? 0) - 1;
      indeg.set(t, d);
      if (d === 0) queue.push(t);
    }
  }
  // Anything left (should not happen once back edges are removed) keeps file order.
  for (const id of ids) if (!out.includes(id)) out.push(id);
  return out;
}

/** A `ui` entry's position, or null when it is missing or not {x, y} numbers. */
export function uiPosition(doc: ProcessDoc, id: string): XY | null {
  const entry = doc.ui?.[id];
  if (isObject(entry) && typeof entry.x === 'number' && typeof entry.y === 'number') {
    return { x: entry.x, y: entry.y };
  }
  return null;
}

/**
 * Positions of the nodes that have no `ui` position. When no node has one, the layered
 * layout is used as it is; otherwise each missing node keeps its layered offset from a
 * placed predecessor, or goes to the right of the placed nodes.
 */
export function autoPositions(doc: ProcessDoc): Record<string, XY> {
  const ids = Object.keys(doc.nodes);
  const placed = new Map<string, XY>();
  for (const id of ids) {
    const p = uiPosition(doc, id);
    if (p) placed.set(id, p);
  }
  const missing = ids.filter((id) => !placed.has(id));
  if (missing.length === 0) return {};
  const lay = layeredLayout(doc.nodes);
  if (placed.size === 0) return lay;
  const preds = new Map<string, string[]>();
  for (const id of ids) {
    const node = doc.nodes[id];
    if (!node) continue;
    for (const t of targetsOf(node)) {
      const ps = preds.get(t) ?? [];
      ps.push(id);
      preds.set(t, ps);
    }
  }
  let maxX = -Infinity;
  let minY = Infinity;
  for (const p of placed.values()) {
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
  }
  const out: Record<string, XY> = {};
  const known = (id: string): XY | undefined => placed.get(id) ?? out[id];
  // Resolve in layer order so a chain of missing nodes follows its placed head.
  const byLayer = missing.slice().sort((a, b) => (lay[a]?.y ?? 0) - (lay[b]?.y ?? 0));
  for (const id of byLayer) {
    const me = lay[id] ?? { x: 0, y: 0 };
    const anchor = (preds.get(id) ?? []).find((p) => known(p) !== undefined);
    if (anchor !== undefined) {
      const a = known(anchor) as XY;
      const al = lay[anchor] ?? { x: 0, y: 0 };
      out[id] = { x: a.x + (me.x - al.x), y: a.y + Math.max(LAYER_GAP, me.y - al.y) };
    } else {
      out[id] = { x: maxX + COLUMN_GAP + 60 + me.x, y: minY + me.y };
    }
  }
  return out;
}

/** The first place at or below `at` where a 200×80 step overlaps none of `taken`. */
export function freeSpot(at: XY, taken: XY[], w = 200, h = 80): XY {
  const hits = (p: XY) => taken.some((q) => Math.abs(q.x - p.x) < w + 10 && Math.abs(q.y - p.y) < h + 10);
  for (let i = 0; i < 40; i++) {
    const p = { x: at.x + (i % 2 === 1 ? w + 40 : 0), y: at.y + Math.floor(i / 2) * (h + 20) };
    if (!hits(p)) return p;
  }
  return at;
}

/** Positions moved `dy` down for every node at or below `y` (to make room for an insert). */
export function shiftBelow(positions: Record<string, XY>, y: number, dy = LAYER_GAP): Record<string, XY> {
  const out: Record<string, XY> = {};
  for (const [id, p] of Object.entries(positions)) if (p.y >= y - 1) out[id] = { x: p.x, y: p.y + dy };
  return out;
}

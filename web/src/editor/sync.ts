/**
 * Keeps React Flow's node and edge arrays in step with the process file without
 * re-creating what did not change: an unchanged step keeps the very same object, so its
 * memoised component does not re-render (a 300-step process stays smooth).
 */
import { edgesOfNode, EDGE_TYPE, type FlowEdge, type FlowNode, type LabelWords, NODE_TYPE } from '../graph/convert';
import { uiPosition } from '../graph/layout';
import type { NodeStats, ProcessDoc, XY } from '../types';

export interface Decor {
  problems?: string[] | undefined;
  stats?: NodeStats | undefined;
  live: boolean;
  label: string;
}

export interface EditorNodeData extends Record<string, unknown> {
  node: FlowNode['data']['node'];
  auto?: boolean;
  problems?: string[];
  stats?: NodeStats;
  live?: boolean;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

export function syncNodes(
  prev: FlowNode[],
  doc: ProcessDoc,
  autoPos: Record<string, XY>,
  decor: (id: string) => Decor,
): FlowNode[] {
  const prevById = new Map(prev.map((n) => [n.id, n]));
  const ids = Object.keys(doc.nodes);
  let changed = prev.length !== ids.length;
  const out = ids.map((id, i) => {
    const node = doc.nodes[id] as FlowNode['data']['node'];
    const placed = uiPosition(doc, id);
    const pos = placed ?? autoPos[id] ?? { x: 0, y: 0 };
    const d = decor(id);
    const p = prevById.get(id);
    const data = p?.data as EditorNodeData | undefined;
    if (
      p &&
      data &&
      data.node === node &&
      !!data.auto === (placed === null) &&
      sameList(data.problems, d.problems) &&
      data.stats === d.stats &&
      !!data.live === d.live &&
      p.ariaLabel === d.label
    ) {
      if (p.dragging || (p.position.x === pos.x && p.position.y === pos.y)) {
        if (prev[i] !== p) changed = true;
        return p;
      }
      changed = true;
      return { ...p, position: pos };
    }
    changed = true;
    const next: EditorNodeData = { node };
    if (placed === null) next.auto = true;
    if (d.problems && d.problems.length > 0) next.problems = d.problems;
    if (d.stats) next.stats = d.stats;
    if (d.live) next.live = true;
    const position = p?.dragging ? p.position : pos;
    return p
      ? ({ ...p, position, data: next, ariaLabel: d.label } as FlowNode)
      : ({ id, type: NODE_TYPE, position, data: next, ariaLabel: d.label, initialWidth: 200, initialHeight: 64 } as FlowNode);
  });
  return changed ? out : prev;
}

export function syncEdges(prev: FlowEdge[], doc: ProcessDoc, words: LabelWords): FlowEdge[] {
  const prevById = new Map(prev.map((e) => [e.id, e]));
  const exists = (t: string) => Object.prototype.hasOwnProperty.call(doc.nodes, t);
  const out: FlowEdge[] = [];
  let changed = false;
  for (const [id, node] of Object.entries(doc.nodes)) {
    for (const e of edgesOfNode(id, node, exists, words)) {
      const p = prevById.get(e.id);
      if (p && p.target === e.target && p.data?.label === e.data?.label && p.data?.kind === e.data?.kind) {
        out.push(p);
        if (prev[out.length - 1] !== p) changed = true;
      } else {
        changed = true;
        out.push(p ? { ...p, target: e.target, data: e.data as FlowEdge['data'] } : { ...e, type: EDGE_TYPE });
      }
    }
  }
  if (out.length !== prev.length) changed = true;
  return changed ? out : prev;
}

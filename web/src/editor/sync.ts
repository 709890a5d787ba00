/**
 * Keeps React Flow's node and edge arrays in step with the process file without
 * re-creating what did not change: an unchanged step keeps the very same object, so its
 * memoised component does not re-render (a 300-step process stays smooth).
 */
import { type NodeHandle, Position } from '@xyflow/react';
import { edgesOfNode, EDGE_TYPE, type FlowEdge, type FlowNode, type LabelWords, NODE_TYPE } from '../graph/convert';
import { uiPosition } from '../graph/layout';
import { branchesOf } from '../graph/model';
import type { NodeStats, PNode, ProcessDoc, XY } from '../types';

/** A step's size on the canvas before React Flow has measured it (its CSS width). */
export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;
const HANDLE = 11;

/**
 * Where a step's handles will be, until React Flow measures the step. React Flow renders
 * every node that has no handle positions yet, so without these `onlyRenderVisibleElements`
 * would still mount all 300 steps of a large process once, to measure them; with them only
 * the steps in view are mounted (and measured; `dropEstimates` then lets the measured
 * handles win).
 */
export function estimatedHandles(node: PNode): NodeHandle[] {
  const out: NodeHandle[] = [];
  const branches = branchesOf(node);
  const height = branches.length > 1 ? NODE_HEIGHT + 20 : NODE_HEIGHT;
  if (node.type !== 'trigger') {
    out.push({ id: null, type: 'target', position: Position.Top, x: NODE_WIDTH / 2 - HANDLE / 2, y: -HANDLE / 2, width: HANDLE, height: HANDLE });
  }
  branches.forEach((b, i) => {
    const x = (NODE_WIDTH * (i + 0.5)) / branches.length - HANDLE / 2;
    out.push({ id: b.handle, type: 'source', position: Position.Bottom, x, y: height - HANDLE / 2, width: HANDLE, height: HANDLE });
  });
  return out;
}

/** The nodes React Flow has measured lose their estimated handles (see estimatedHandles). */
export function dropEstimates(nodes: FlowNode[]): FlowNode[] {
  let changed = false;
  const out = nodes.map((n) => {
    if (!n.handles || !n.measured?.width) return n;
    changed = true;
    const rest = { ...n };
    delete rest.handles;
    return rest;
  });
  return changed ? out : nodes;
}

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
    if (p) {
      const updated = { ...p, position, data: next, ariaLabel: d.label } as FlowNode;
      if (!p.measured?.width) updated.handles = estimatedHandles(node);
      return updated;
    }
    return {
      id,
      type: NODE_TYPE,
      position,
      data: next,
      ariaLabel: d.label,
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      handles: estimatedHandles(node),
    } as FlowNode;
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
      if (
        p &&
        p.target === e.target &&
        p.data?.label === e.data?.label &&
        p.data?.kind === e.data?.kind &&
        p.data?.lane === e.data?.lane &&
        p.data?.lanes === e.data?.lanes
      ) {
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

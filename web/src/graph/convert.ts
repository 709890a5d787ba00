/**
 * Process file ↔ React Flow nodes and edges. A flow node carries its process node's JSON
 * untouched; an edge is one branch (source handle) of its source node. `flowToDoc` writes
 * only what changed, so a file loaded and converted back is the same document, key order
 * included.
 */
import type { Edge, Node } from '@xyflow/react';
import type { Json, JsonObject, PNode, ProcessDoc, XY } from '../types';
import { autoPositions, uiPosition } from './layout';
import { type Branch, type BranchKind, branchesOf, isObject, setBranchTarget } from './model';

export const NODE_TYPE = 'process';
export const EDGE_TYPE = 'branch';

export interface ProcessNodeData extends Record<string, unknown> {
  node: PNode;
  /** True when the position comes from the automatic layout, not from the file's `ui`. */
  auto?: boolean;
}
export type FlowNode = Node<ProcessNodeData, typeof NODE_TYPE>;

export interface BranchEdgeData extends Record<string, unknown> {
  kind: BranchKind;
  label: string;
  index?: number;
  /** Links of one step to the same target (a wait's event and its timeout, say): this
   * one's place among them and how many there are, so they are drawn apart. */
  lane?: number;
  lanes?: number;
}
export type FlowEdge = Edge<BranchEdgeData, typeof EDGE_TYPE>;

export function edgeId(source: string, handle: string): string {
  return `${source}::${handle}`;
}

export interface LabelWords {
  yes: string;
  no: string;
  timeout: string;
}

const ENGLISH: LabelWords = { yes: 'yes', no: 'no', timeout: 'timeout' };

/** The text on an edge: yes/no, the awaited event, "timeout 30d", a split's share. */
export function branchLabel(b: Branch, node: PNode, words: LabelWords = ENGLISH): string {
  switch (b.kind) {
    case 'yes':
      return words.yes;
    case 'no':
      return words.no;
    case 'event':
      return b.event ?? '';
    case 'timeout':
      return b.timeout ? `${words.timeout} ${b.timeout}` : words.timeout;
    case 'branch': {
      const weights = branchesOf(node).map((x) => x.weight ?? 0);
      const total = weights.reduce((a, w) => a + w, 0);
      if (b.weight === undefined || total <= 0) return '?';
      return `${Math.round((b.weight / total) * 100)}%`;
    }
    default:
      return '';
  }
}

/** One flow node. */
export function toFlowNode(id: string, node: PNode, position: XY, auto: boolean): FlowNode {
  return { id, type: NODE_TYPE, position, data: auto ? { node, auto } : { node } };
}

/** The edges leaving one node (only branches whose target exists). */
export function edgesOfNode(
  id: string,
  node: PNode,
  exists: (id: string) => boolean,
  words?: LabelWords,
): FlowEdge[] {
  const out: FlowEdge[] = [];
  const linked = branchesOf(node).filter((b) => b.target !== undefined && exists(b.target));
  const lanes = new Map<string, number>();
  for (const b of linked) lanes.set(b.target as string, (lanes.get(b.target as string) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const b of linked) {
    if (b.target === undefined) continue;
    const data: BranchEdgeData = { kind: b.kind, label: branchLabel(b, node, words) };
    if (b.index !== undefined) data.index = b.index;
    const n = lanes.get(b.target) ?? 1;
    if (n > 1) {
      data.lane = seen.get(b.target) ?? 0;
      data.lanes = n;
      seen.set(b.target, data.lane + 1);
    }
    out.push({
      id: edgeId(id, b.handle),
      type: EDGE_TYPE,
      source: id,
      sourceHandle: b.handle,
      target: b.target,
      data,
    });
  }
  return out;
}

export interface ToFlowOptions {
  /** Positions for nodes without a `ui` position (default: computed by autoPositions). */
  auto?: Record<string, XY>;
  words?: LabelWords;
}

/** The process file as React Flow nodes and edges. */
export function docToFlow(doc: ProcessDoc, opts: ToFlowOptions = {}): { nodes: FlowNode[]; edges: FlowEdge[] } {
  let auto = opts.auto;
  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  const exists = (t: string) => Object.prototype.hasOwnProperty.call(doc.nodes, t);
  for (const [id, node] of Object.entries(doc.nodes)) {
    const placed = uiPosition(doc, id);
    let position = placed;
    if (!position) {
      if (!auto || !auto[id]) auto = { ...autoPositions(doc), ...auto };
      position = auto[id] ?? { x: 0, y: 0 };
    }
    nodes.push(toFlowNode(id, node, position, placed === null));
    edges.push(...edgesOfNode(id, node, exists, opts.words));
  }
  return { nodes, edges };
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function samePos(entry: Json | undefined, p: XY): boolean {
  return isObject(entry) && entry.x === p.x && entry.y === p.y;
}

/**
 * React Flow nodes and edges back into a process file, based on `base` (the document they
 * came from): its other keys, key order and `ui` extras are kept; a node's branches follow
 * the edges; `ui` gets a position for every node not laid out automatically.
 */
export function flowToDoc(base: ProcessDoc, nodes: FlowNode[], edges: FlowEdge[]): ProcessDoc {
  const byHandle = new Map<string, string>();
  for (const e of edges) byHandle.set(edgeId(e.source, e.sourceHandle ?? 'next'), e.target);
  const present = new Set(nodes.map((n) => n.id));
  const flowById = new Map(nodes.map((n) => [n.id, n]));

  const outNodes: Record<string, PNode> = {};
  const order = [
    ...Object.keys(base.nodes).filter((id) => present.has(id)),
    ...nodes.map((n) => n.id).filter((id) => !Object.prototype.hasOwnProperty.call(base.nodes, id)),
  ];
  for (const id of order) {
    const fn = flowById.get(id) as FlowNode;
    let node = fn.data.node;
    for (const b of branchesOf(node)) {
      const linked = byHandle.get(edgeId(id, b.handle));
      if (linked !== undefined) node = setBranchTarget(node, b.handle, linked);
      // An unlinked branch whose target is (or was) a node was disconnected; a target that
      // never named a node (an invalid file) is left as it is for the validator to report.
      else if (b.target !== undefined && (present.has(b.target) || hasOwn(base.nodes, b.target))) {
        node = setBranchTarget(node, b.handle, undefined);
      }
    }
    outNodes[id] = node;
  }

  let ui: Record<string, Json> | undefined = base.ui ? { ...base.ui } : undefined;
  for (const id of Object.keys(base.nodes)) {
    if (!present.has(id) && ui && id in ui) delete ui[id];
  }
  for (const id of order) {
    const fn = flowById.get(id) as FlowNode;
    if (fn.data.auto) continue;
    const p = { x: fn.position.x, y: fn.position.y };
    const old = ui?.[id];
    if (samePos(old, p)) continue;
    ui ??= {};
    ui[id] = isObject(old) ? ({ ...old, x: p.x, y: p.y } as JsonObject) : { x: p.x, y: p.y };
  }

  const out: ProcessDoc = { ...base, nodes: outNodes };
  if (ui !== undefined) out.ui = ui;
  return out;
}

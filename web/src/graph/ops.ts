/**
 * Edits of a process file. Each returns a new document and leaves the input untouched;
 * unchanged nodes keep their identity (so memoised node components do not re-render) and
 * keys keep their order.
 */
import type { Json, JsonObject, PNode, ProcessDoc, XY } from '../types';
import { ACTIONS, branchesOf, isObject, primaryHandle, setBranchTarget } from './model';

/** What the palette offers: a node type, or `action:DO` for one action. */
export type PaletteKind = string;

export const PALETTE_TYPES = ['trigger', 'condition', 'wait', 'delay', 'split', 'end'] as const;
export const PALETTE: PaletteKind[] = [
  'trigger',
  ...Object.keys(ACTIONS).map((a) => `action:${a}`),
  'condition',
  'wait',
  'delay',
  'split',
  'end',
];

/** A fresh node of a kind, with the fields the user has to fill left empty. */
export function newNode(kind: PaletteKind): PNode {
  if (kind.startsWith('action:')) {
    const doName = kind.slice('action:'.length);
    const node: PNode = { type: 'action', do: doName };
    for (const p of ACTIONS[doName]?.required ?? []) node[p] = defaultParam(doName, p);
    return node;
  }
  switch (kind) {
    case 'trigger':
      return { type: 'trigger', event: '' };
    case 'condition':
      return { type: 'condition', if: { tag: '' } };
    case 'wait':
      return { type: 'wait', for: [{ event: '' }], timeout: '1d' };
    case 'delay':
      return { type: 'delay', for: '1d' };
    case 'split':
      return { type: 'split', branches: [{ weight: 50 }, { weight: 50 }] };
    case 'end':
      return { type: 'end' };
    default:
      return { type: kind };
  }
}

function defaultParam(doName: string, param: string): Json {
  if (param === 'by') return 1;
  if (doName === 'set_var' && param === 'value') return '';
  return '';
}

/** The action parameters of `doName`, with the node's other keys (type, do, next) kept. */
export function changeAction(node: PNode, doName: string): PNode {
  const spec = ACTIONS[doName];
  const keep = new Set([...(spec?.required ?? []), ...(spec?.optional ?? [])]);
  const out: PNode = { type: node.type };
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type') continue;
    if (k === 'do') out.do = doName;
    else if (k === 'next' || keep.has(k) || !isParam(k)) out[k] = v;
  }
  if (!('do' in out)) out.do = doName;
  for (const p of spec?.required ?? []) if (!(p in out)) out[p] = defaultParam(doName, p);
  // `next` stays last, as people write it.
  if ('next' in out) {
    const next = out.next;
    delete out.next;
    out.next = next;
  }
  return out;
}

function isParam(k: string): boolean {
  return Object.values(ACTIONS).some((a) => a.required.includes(k) || a.optional.includes(k));
}

/** A node id not used yet: `base`, `base_2`, `base_3`, … */
export function uniqueId(taken: (id: string) => boolean, base: string): string {
  const clean = base.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'node';
  if (!taken(clean)) return clean;
  const stem = clean.replace(/_\d+$/, '');
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken(id)) return id;
  }
}

function idBase(kind: PaletteKind): string {
  return kind.startsWith('action:') ? kind.slice('action:'.length) : kind;
}

function hasNode(doc: ProcessDoc) {
  return (id: string) => Object.prototype.hasOwnProperty.call(doc.nodes, id);
}

function round(p: XY): XY {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

/** Sets `ui[id]` to a position, keeping other keys of the entry. */
export function withPositions(doc: ProcessDoc, positions: Record<string, XY>): ProcessDoc {
  const entries = Object.entries(positions);
  if (entries.length === 0) return doc;
  const ui: Record<string, Json> = { ...(doc.ui ?? {}) };
  let changed = false;
  for (const [id, raw] of entries) {
    const p = round(raw);
    const old = ui[id];
    if (isObject(old) && old.x === p.x && old.y === p.y) continue;
    ui[id] = isObject(old) ? ({ ...old, x: p.x, y: p.y } as JsonObject) : { x: p.x, y: p.y };
    changed = true;
  }
  return changed ? { ...doc, ui } : doc;
}

export function addNode(doc: ProcessDoc, kind: PaletteKind, at: XY): { doc: ProcessDoc; id: string } {
  const id = uniqueId(hasNode(doc), idBase(kind));
  const next = { ...doc, nodes: { ...doc.nodes, [id]: newNode(kind) } };
  return { doc: withPositions(next, { [id]: at }), id };
}

export function updateNode(doc: ProcessDoc, id: string, node: PNode): ProcessDoc {
  if (doc.nodes[id] === node) return doc;
  return { ...doc, nodes: { ...doc.nodes, [id]: node } };
}

/** Links branch `handle` of `source` to `target` (replacing what it linked to). */
export function connect(doc: ProcessDoc, source: string, handle: string, target: string): ProcessDoc {
  const node = doc.nodes[source];
  if (!node || !hasNode(doc)(target) || doc.nodes[target]?.type === 'trigger') return doc;
  return updateNode(doc, source, setBranchTarget(node, handle, target));
}

export function disconnect(doc: ProcessDoc, source: string, handle: string): ProcessDoc {
  const node = doc.nodes[source];
  if (!node) return doc;
  return updateNode(doc, source, setBranchTarget(node, handle, undefined));
}

/**
 * Puts a new node on the edge `source.handle → target`: source now links to the new node,
 * whose first branch links to the old target.
 */
export function insertOnEdge(
  doc: ProcessDoc,
  source: string,
  handle: string,
  kind: PaletteKind,
  at: XY,
): { doc: ProcessDoc; id: string } {
  const src = doc.nodes[source];
  const target = src ? branchesOf(src).find((b) => b.handle === handle)?.target : undefined;
  const added = addNode(doc, kind, at);
  let out = added.doc;
  let node = out.nodes[added.id] as PNode;
  const h = primaryHandle(node);
  if (h !== null && target !== undefined && hasNode(out)(target)) {
    node = setBranchTarget(node, h, target);
    // A wait's timeout follows the same way unless told otherwise.
    if (node.type === 'wait' && node.timeout !== undefined) node = setBranchTarget(node, 'timeout', target);
    out = updateNode(out, added.id, node);
  }
  if (src) out = updateNode(out, source, setBranchTarget(src, handle, added.id));
  return { doc: out, id: added.id };
}

/** Removes nodes, their `ui` entries, and every branch that linked to them. */
export function deleteNodes(doc: ProcessDoc, ids: Iterable<string>): ProcessDoc {
  const gone = new Set([...ids].filter((id) => hasNode(doc)(id)));
  if (gone.size === 0) return doc;
  const nodes: Record<string, PNode> = {};
  for (const [id, node] of Object.entries(doc.nodes)) {
    if (gone.has(id)) continue;
    let n = node;
    for (const b of branchesOf(node)) {
      if (b.target !== undefined && gone.has(b.target)) n = setBranchTarget(n, b.handle, undefined);
    }
    nodes[id] = n;
  }
  const out: ProcessDoc = { ...doc, nodes };
  if (doc.ui) {
    const ui = { ...doc.ui };
    for (const id of gone) delete ui[id];
    out.ui = ui;
  }
  return out;
}

/** Renames a node, and every reference to it; key order of `nodes` and `ui` is kept. */
export function renameNode(doc: ProcessDoc, from: string, to: string): ProcessDoc {
  if (from === to || !hasNode(doc)(from) || hasNode(doc)(to) || to === '') return doc;
  const nodes: Record<string, PNode> = {};
  for (const [id, node] of Object.entries(doc.nodes)) {
    let n = node;
    for (const b of branchesOf(node)) if (b.target === from) n = setBranchTarget(n, b.handle, to);
    nodes[id === from ? to : id] = n;
  }
  const out: ProcessDoc = { ...doc, nodes };
  if (doc.ui && from in doc.ui) {
    const ui: Record<string, Json> = {};
    for (const [k, v] of Object.entries(doc.ui)) ui[k === from ? to : k] = v;
    out.ui = ui;
  }
  return out;
}

/** Sets or removes (undefined) a top-level key, keeping its place. */
export function setDocKey(doc: ProcessDoc, key: string, value: Json | undefined): ProcessDoc {
  if (value === undefined) {
    if (!(key in doc)) return doc;
    const copy = { ...doc };
    delete copy[key];
    return copy;
  }
  if (doc[key] === value) return doc;
  return { ...doc, [key]: value } as ProcessDoc;
}

/** An empty process file, as "new process" gets it from the server. */
export function emptyDoc(name: string): ProcessDoc {
  return { nurtura: 1, name, nodes: {} };
}

/**
 * Copy and paste of nodes and sub-graphs, also between processes. The clipboard holds a
 * process file (format 1) made of the copied nodes and their `ui` positions; on paste, ids
 * that clash are renamed (and every link inside the pasted part follows), and links to
 * nodes that were not copied are dropped.
 */
import type { Json, JsonObject, PNode, ProcessDoc, XY } from '../types';
import { layeredLayout, uiPosition } from './layout';
import { branchesOf, isObject, setBranchTarget } from './model';
import { uniqueId, withPositions } from './ops';

export const CLIPBOARD_NAME = 'Copied nodes';
export const STORAGE_KEY = 'nurtura.clipboard';

/** The process file of the selected nodes. `positions` gives each node's current place. */
export function copyNodes(doc: ProcessDoc, ids: Iterable<string>, positions: Record<string, XY> = {}): ProcessDoc {
  const nodes: Record<string, PNode> = {};
  const ui: Record<string, Json> = {};
  const wanted = new Set(ids);
  for (const [id, node] of Object.entries(doc.nodes)) {
    if (!wanted.has(id)) continue;
    nodes[id] = node;
    const p = positions[id] ?? uiPosition(doc, id);
    if (p) ui[id] = { x: p.x, y: p.y };
  }
  return { nurtura: 1, name: CLIPBOARD_NAME, nodes, ui };
}

export function serializeClipboard(clip: ProcessDoc): string {
  return JSON.stringify(clip, null, 2);
}

/** A clipboard text back to a process file, or null when it is not one. */
export function parseClipboard(text: string | null | undefined): ProcessDoc | null {
  if (!text) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(data) || data.nurtura !== 1 || !isObject(data.nodes)) return null;
  for (const node of Object.values(data.nodes)) {
    if (!isObject(node) || typeof node.type !== 'string') return null;
  }
  return data as unknown as ProcessDoc;
}

export interface PasteResult {
  doc: ProcessDoc;
  /** Ids of the pasted nodes, in the destination. */
  ids: string[];
  /** Clipboard id → destination id. */
  renamed: Record<string, string>;
}

/**
 * Adds the clipboard's nodes to `doc`. The pasted group keeps its shape; its top-left corner
 * goes to `at` (default: 40 px right and down from where it was copied).
 */
export function pasteNodes(doc: ProcessDoc, clip: ProcessDoc, at?: XY): PasteResult {
  const taken = new Set(Object.keys(doc.nodes));
  const renamed: Record<string, string> = {};
  for (const id of Object.keys(clip.nodes)) {
    const fresh = uniqueId((x) => taken.has(x), id);
    taken.add(fresh);
    renamed[id] = fresh;
  }
  const nodes: Record<string, PNode> = { ...doc.nodes };
  for (const [id, node] of Object.entries(clip.nodes)) {
    let n = cloneNode(node);
    for (const b of branchesOf(n)) {
      if (b.target === undefined) continue;
      n = setBranchTarget(n, b.handle, renamed[b.target]);
    }
    nodes[renamed[id] as string] = n;
  }

  // Positions: from the clipboard's ui, missing ones laid out; then moved as one group.
  const lay = layeredLayout(clip.nodes);
  const src: Record<string, XY> = {};
  for (const id of Object.keys(clip.nodes)) src[id] = uiPosition(clip, id) ?? lay[id] ?? { x: 0, y: 0 };
  const xs = Object.values(src).map((p) => p.x);
  const ys = Object.values(src).map((p) => p.y);
  const minX = xs.length ? Math.min(...xs) : 0;
  const minY = ys.length ? Math.min(...ys) : 0;
  const dx = at ? at.x - minX : 40;
  const dy = at ? at.y - minY : 40;
  const positions: Record<string, XY> = {};
  for (const [id, p] of Object.entries(src)) positions[renamed[id] as string] = { x: p.x + dx, y: p.y + dy };

  const out = withPositions({ ...doc, nodes }, positions);
  return { doc: out, ids: Object.values(renamed), renamed };
}

function cloneNode(node: PNode): PNode {
  return JSON.parse(JSON.stringify(node)) as PNode;
}

/** Keeps the clipboard in localStorage (always allowed) and, when possible, the system one. */
export async function writeClipboard(clip: ProcessDoc, storage: Storage | undefined = globalThis.localStorage): Promise<void> {
  const text = serializeClipboard(clip);
  try {
    storage?.setItem(STORAGE_KEY, text);
  } catch {
    // storage full or disabled: the system clipboard may still work
  }
  try {
    await navigator.clipboard?.writeText(text);
  } catch {
    // no permission (or no secure context): localStorage has it
  }
}

/** The system clipboard when it holds a process file, else the last copy in localStorage. */
export async function readClipboard(storage: Storage | undefined = globalThis.localStorage): Promise<ProcessDoc | null> {
  try {
    const text = await navigator.clipboard?.readText();
    const clip = parseClipboard(text);
    if (clip) return clip;
  } catch {
    // reading needs a permission; fall back
  }
  try {
    return parseClipboard(storage?.getItem(STORAGE_KEY));
  } catch {
    return null;
  }
}

export type { JsonObject };

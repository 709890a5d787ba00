/** Shared pieces of the step forms: key edits that keep order, the inner props type. */
import { KNOWN_EVENTS } from '../graph/model';
import type { Json, PNode } from '../types';
import type { Names } from './FilterEditor';
import type { NodeFormProps } from './NodeForm';

export function set(node: PNode, key: string, value: Json | undefined): PNode {
  if (value === undefined) {
    const copy = { ...node };
    delete copy[key];
    return copy;
  }
  return { ...node, [key]: value };
}

/** Puts keys in order: `type` first, the rest as given, `next` last. */
export function tidy(node: PNode): PNode {
  const out: PNode = { type: node.type };
  for (const [k, v] of Object.entries(node)) if (k !== 'type' && k !== 'next') out[k] = v;
  if ('next' in node) out.next = node.next;
  return out;
}

export type Inner = NodeFormProps & { change: (n: PNode, key: string) => void; err: (path: string) => string | undefined };

export function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

export function eventOptions(names: Names): string[] {
  return [...new Set([...names.events, ...KNOWN_EVENTS])];
}

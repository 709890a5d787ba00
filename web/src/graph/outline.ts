/** The order of nodes in the outline view: from each trigger, depth first along the
 * branches in handle order (a path reads top to bottom), then nodes no trigger reaches. */
import type { ProcessDoc } from '../types';
import { targetsOf } from './model';

export function outlineOrder(doc: ProcessDoc): string[] {
  const nodes = doc.nodes;
  const seen = new Set<string>();
  const out: string[] = [];
  const walk = (start: string) => {
    const stack = [start];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (seen.has(id) || !nodes[id]) continue;
      seen.add(id);
      out.push(id);
      const ts = targetsOf(nodes[id]!).filter((t) => !seen.has(t));
      for (let i = ts.length - 1; i >= 0; i--) stack.push(ts[i] as string);
    }
  };
  for (const id of Object.keys(nodes)) if (nodes[id]?.type === 'trigger') walk(id);
  for (const id of Object.keys(nodes)) if (!seen.has(id)) walk(id);
  return out;
}

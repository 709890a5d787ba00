/** A run's history as one line per step: the server groups steps by instant
 * (`[{at, steps: [{node, …}]}]`, or `{note}`); a flat `[{at, node, …}]` works too. */
import type { Json, RunRecord } from '../types';

export interface PathLine {
  at: string | undefined;
  node: string | undefined;
  /** The other keys of the step, e.g. `event: order.paid`, `result: yes`. */
  details: [string, Json][];
}

function isObj(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function runPath(run: RunRecord): PathLine[] {
  const out: PathLine[] = [];
  const line = (at: unknown, step: Record<string, Json>) => {
    const details = Object.entries(step).filter(([k]) => k !== 'at' && k !== 'node' && k !== 'steps');
    out.push({ at: typeof at === 'string' ? at : undefined, node: typeof step.node === 'string' ? step.node : undefined, details });
  };
  for (const item of run.history ?? []) {
    if (!isObj(item)) continue;
    if (Array.isArray(item.steps)) {
      for (const step of item.steps) if (isObj(step)) line(item.at, step);
    } else if ('note' in item && !('node' in item)) {
      out.push({ at: typeof item.at === 'string' ? item.at : undefined, node: undefined, details: [['note', item.note as Json]] });
    } else line(item.at, item);
  }
  return out;
}

export function runId(run: RunRecord): string {
  return String(run.id ?? run.run ?? '');
}

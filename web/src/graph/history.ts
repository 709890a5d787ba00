/**
 * Undo/redo over immutable snapshots. Edits with the same `key` made within `mergeMs`
 * of each other (typing in one field) become one step.
 */

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  lastKey?: string | undefined;
  lastAt?: number | undefined;
}

export interface PushOptions {
  /** Edits with the same key in quick succession merge into one undo step. */
  key?: string;
  now?: number;
  mergeMs?: number;
  limit?: number;
}

export const HISTORY_LIMIT = 200;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function push<T>(h: History<T>, next: T, opts: PushOptions = {}): History<T> {
  if (Object.is(next, h.present)) return h;
  const now = opts.now ?? Date.now();
  const mergeMs = opts.mergeMs ?? 1000;
  const limit = opts.limit ?? HISTORY_LIMIT;
  if (
    opts.key !== undefined &&
    opts.key === h.lastKey &&
    h.lastAt !== undefined &&
    now - h.lastAt <= mergeMs &&
    h.past.length > 0
  ) {
    return { past: h.past, present: next, future: [], lastKey: opts.key, lastAt: now };
  }
  const past = [...h.past, h.present];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: next, future: [], lastKey: opts.key, lastAt: now };
}

export function canUndo<T>(h: History<T>): boolean {
  return h.past.length > 0;
}

export function canRedo<T>(h: History<T>): boolean {
  return h.future.length > 0;
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h;
  const past = h.past.slice(0, -1);
  const present = h.past[h.past.length - 1] as T;
  return { past, present, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  const [present, ...future] = h.future as [T, ...T[]];
  return { past: [...h.past, h.present], present, future };
}

/** Replace the present without an undo step (e.g. after a save returned a new version). */
export function replacePresent<T>(h: History<T>, present: T): History<T> {
  return { ...h, present, lastKey: undefined, lastAt: undefined };
}

/** Pictures for the template library: the shipped library's process files (the same
 * copies the tests use), by process name, for when GET /api/library sends no `docs`. */
import type { LibraryEntry, ProcessDoc } from '../types';

const FILES = import.meta.glob<ProcessDoc>('../graph/__fixtures__/*.json', { eager: true, import: 'default' });
const BY_NAME = new Map(Object.values(FILES).map((d) => [d.name, d]));

export function previewOf(entry: LibraryEntry): ProcessDoc | null {
  const sent = entry.docs?.[0];
  if (sent && sent.nodes) return sent;
  for (const name of [entry.name, ...(entry.processes ?? [])]) {
    const d = BY_NAME.get(name);
    if (d) return d;
  }
  return null;
}

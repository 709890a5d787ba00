/** The shipped library's process files (copies of nurtura/library/*.json), as raw text. */
import type { ProcessDoc } from '../types';

const RAW = import.meta.glob<string>('./__fixtures__/*.json', { query: '?raw', import: 'default', eager: true });

export const FIXTURES: { name: string; text: string; doc: ProcessDoc }[] = Object.entries(RAW)
  .map(([path, text]) => ({
    name: path.replace(/^.*\//, '').replace(/\.json$/, ''),
    text,
    doc: JSON.parse(text) as ProcessDoc,
  }))
  .sort((a, b) => a.name.localeCompare(b.name));

export function fixture(name: string): ProcessDoc {
  const f = FIXTURES.find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return JSON.parse(f.text) as ProcessDoc;
}

/** Shared types: JSON, the process file (format 1) as the editor sees it, and API shapes. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A filter of the filter language (see docs/process-file.md, "Filters"). */
export type Filter = JsonObject;

/** One node of a process file. Kept as raw JSON so unknown keys survive a round trip. */
export interface PNode {
  type: string;
  [key: string]: Json | undefined;
}

export interface XY {
  x: number;
  y: number;
}

/** The process file. Every key the editor does not know is kept as it was. */
export interface ProcessDoc {
  nurtura: number;
  name: string;
  description?: string;
  reentry?: Reentry;
  timezone?: string;
  exit_on?: JsonObject[];
  nodes: Record<string, PNode>;
  ui?: Record<string, Json>;
  [key: string]: unknown;
}

export type Reentry = 'once' | 'always' | 'if_not_active';
export const REENTRY: readonly Reentry[] = ['once', 'if_not_active', 'always'];

/** A problem found in a process file: the JSON path at fault and a message. */
export interface Problem {
  path: string;
  /** Text from the server (English), used when there is no `code`. */
  message?: string;
  /** A client-side check: a message key of the catalogue (`v.CODE`) and its parameters. */
  code?: string;
  params?: Record<string, string | number>;
}

// ---- API shapes (docs/api.md) ----

export interface ProcessStatsSummary {
  entered: number;
  active: number;
  completed: Record<string, number>;
  exited: number;
  failed: number;
}

export interface ProcessSummary {
  id: string | number;
  name: string;
  enabled: boolean;
  version: number;
  reentry: Reentry;
  triggers: number | string[];
  stats: ProcessStatsSummary;
  last_activity: string | null;
}

export interface ProcessRecord {
  id: string | number;
  name: string;
  enabled: boolean;
  version: number;
  activated_at: string | null;
  doc: ProcessDoc;
}

export interface NodeStats {
  reached?: number;
  waiting?: number;
  sent?: number;
  opened?: number;
  clicked?: number;
  unsubscribed?: number;
  skipped?: number;
  failed?: number;
  /** Not in docs/api.md yet: failure reasons and their counts (asked of the server). */
  failures?: Record<string, number> | { reason: string; count: number }[];
}

export interface DailyStats {
  day: string;
  entered: number;
  completed: number;
  exited: number;
}

export interface ProcessStats extends ProcessStatsSummary {
  nodes: Record<string, NodeStats>;
  daily: DailyStats[];
}

export interface LibraryEntry {
  slug: string;
  name: string;
  description: string;
  processes: string[];
  /** Optional (not in docs/api.md): the process files, for the preview picture. */
  docs?: ProcessDoc[];
}

export interface Catalog {
  events: string[];
  templates: (string | { name: string; channel?: string })[];
  tags: string[];
  lists: string[];
  processes: (string | { name: string; id?: string | number })[];
  funnels: Record<string, string[]>;
}

export interface Session {
  user: string;
  role: 'viewer' | 'author' | 'admin' | string;
  csrf: string;
}

/** One row of GET …/nodes/{node}/contacts: the server sends `contact` (and `run`,
 * `since`, `wake_at`, `reason`); `id`/`email` are accepted too. */
export interface ContactRef {
  id?: string;
  contact?: string;
  run?: string;
  /** The run's status: active, completed, exited, failed. */
  status?: string;
  wake_at?: string | null;
  reason?: string | null;
  email?: string | null;
  phone?: string | null;
  since?: string | null;
  [key: string]: Json | undefined;
}

export interface RunStep {
  at?: string;
  node?: string;
  action?: string;
  event?: string;
  skipped?: string;
  reason?: string;
  [key: string]: Json | undefined;
}

export interface RunRecord {
  /** The run id: the server sends `run`; `id` is accepted too. */
  id?: string | number;
  run?: string | number;
  process?: string;
  process_id?: string | number;
  version?: number;
  status?: string;
  node?: string | null;
  outcome?: string | null;
  reason?: string | null;
  started_at?: string;
  ended_at?: string | null;
  wake_at?: string | null;
  /** `[{at, steps: [{node, …}]}]` (or `{note}`); flat `[{at, node, …}]` is accepted too. */
  history: (RunStep | { at?: string; steps?: RunStep[]; note?: Json })[];
  [key: string]: unknown;
}

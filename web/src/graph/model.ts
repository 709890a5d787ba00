/**
 * The vocabulary of format 1 (node types, actions, filter leaves, operators) and the
 * branches ("source handles") of a node: where each outgoing edge is kept in the JSON.
 */
import type { Json, JsonObject, PNode } from '../types';

export const NODE_TYPES = ['trigger', 'action', 'condition', 'wait', 'delay', 'split', 'end'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Parameters of each action: required, then optional (as nurtura/model/validate.py). */
export const ACTIONS: Record<string, { required: string[]; optional: string[] }> = {
  add_tag: { required: ['tag'], optional: [] },
  remove_tag: { required: ['tag'], optional: [] },
  add_to_list: { required: ['list'], optional: [] },
  remove_from_list: { required: ['list'], optional: [] },
  set_field: { required: ['field', 'value'], optional: [] },
  change_score: { required: ['by'], optional: [] },
  set_var: { required: ['name', 'value'], optional: [] },
  send_email: { required: ['template'], optional: [] },
  send_sms: { required: ['template'], optional: [] },
  webhook: { required: ['url'], optional: ['method', 'body', 'headers'] },
  start_process: { required: ['process'], optional: [] },
  stop_process: { required: ['process'], optional: [] },
  add_note: { required: ['text'], optional: [] },
  set_owner: { required: ['owner'], optional: [] },
  set_stage: { required: ['funnel', 'stage'], optional: [] },
};
export const ACTION_NAMES = Object.keys(ACTIONS);
export const ACTION_PARAMS = new Set(
  Object.values(ACTIONS).flatMap((a) => [...a.required, ...a.optional]),
);
export const MESSAGE_ACTIONS = new Set(['send_email', 'send_sms']);

export const FILTER_GROUPS = ['all', 'any', 'not'] as const;
export const FILTER_LEAVES = [
  'tag', 'list', 'field', 'prop', 'var', 'total_paid', 'score', 'event', 'subscribed', 'has',
  'in_process', 'stage', 'rfm', 'owner', 'note', 'local_time', 'weekday',
] as const;
export type FilterLeaf = (typeof FILTER_LEAVES)[number];
export const FILTER_KEYS: readonly string[] = [...FILTER_GROUPS, ...FILTER_LEAVES];
export const OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;
export const NUMBER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const HAS_KINDS = ['email', 'phone', 'timezone', 'owner'] as const;
export const CHANNELS = ['email', 'sms'] as const;
export const RFM_SEGMENTS = [
  'champions', 'loyal', 'cant_lose', 'at_risk', 'new', 'promising', 'potential',
  'need_attention', 'about_to_sleep', 'hibernating', 'lost',
] as const;
export const HTTP_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const;

/** Events Nurtura emits or callers usually send (SPEC "Events"), for dropdowns. */
export const KNOWN_EVENTS = [
  'order.created', 'order.paid', 'order.cancelled', 'order.refunded', 'form.submitted',
  'page.visited', 'webinar.registered', 'webinar.attended', 'course.enrolled', 'lesson.opened',
  'contact.created', 'field.changed', 'tag.added', 'tag.removed', 'list.added', 'list.removed',
  'email.sent', 'email.opened', 'email.clicked', 'email.bounced', 'email.unsubscribed',
  'sms.sent', 'sms.unsubscribed', 'subscription.changed', 'score.changed', 'stage.changed',
  'note.added', 'owner.changed', 'rfm.changed', 'process.entered', 'process.completed',
  'process.exited',
];

// ---- durations ----

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
export const DURATION_UNITS = ['m', 'h', 'd', 'w', 's'] as const;
const WHOLE = /^(?:\d+[smhdw])+$/;
const PART = /(\d+)([smhdw])/g;

/** True for `90s`, `15m`, `1d12h`; with `signed`, also `-1h`, `+15m`. */
export function isDuration(text: unknown, signed = false): text is string {
  if (typeof text !== 'string') return false;
  let body = text.trim();
  if (signed && (body.startsWith('-') || body.startsWith('+'))) body = body.slice(1);
  return body.length > 0 && WHOLE.test(body);
}

export interface DurationParts {
  sign: '' | '-' | '+';
  parts: { n: number; unit: string }[];
}

/** `-1d12h` → {sign: '-', parts: [{1, d}, {12, h}]}; null when not a duration. */
export function splitDuration(text: string, signed = false): DurationParts | null {
  if (!isDuration(text, signed)) return null;
  let body = text.trim();
  let sign: DurationParts['sign'] = '';
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body[0] as '-' | '+';
    body = body.slice(1);
  }
  const parts = [...body.matchAll(PART)].map((m) => ({ n: Number(m[1]), unit: m[2] as string }));
  return { sign, parts };
}

export function joinDuration(d: DurationParts): string {
  return d.sign + d.parts.map((p) => `${p.n}${p.unit}`).join('');
}

export function durationSeconds(text: string): number | null {
  const d = splitDuration(text, true);
  if (!d) return null;
  const s = d.parts.reduce((acc, p) => acc + p.n * (UNIT_SECONDS[p.unit] ?? 0), 0);
  return d.sign === '-' ? -s : s;
}

export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

// ---- branches ----

export type BranchKind = 'next' | 'yes' | 'no' | 'event' | 'timeout' | 'branch';

/** One outgoing connection point of a node (a React Flow source handle). */
export interface Branch {
  /** Handle id: `next`, `yes`, `no`, `for:0`, `timeout`, `branch:1`. */
  handle: string;
  kind: BranchKind;
  /** JSON sub-path of the target inside the node: `next`, `for[0].next`, `on_timeout`. */
  path: string;
  target: string | undefined;
  index?: number;
  event?: string;
  weight?: number;
  timeout?: string;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every branch a node has (connected or not), in the order of its handles. */
export function branchesOf(node: PNode): Branch[] {
  switch (node.type) {
    case 'trigger':
    case 'action':
    case 'delay':
      return [{ handle: 'next', kind: 'next', path: 'next', target: str(node.next) }];
    case 'condition':
      return [
        { handle: 'yes', kind: 'yes', path: 'yes', target: str(node.yes) },
        { handle: 'no', kind: 'no', path: 'no', target: str(node.no) },
      ];
    case 'wait': {
      const items = Array.isArray(node.for) ? node.for : [];
      const out: Branch[] = items.map((item, i) => ({
        handle: `for:${i}`,
        kind: 'event' as const,
        path: `for[${i}].next`,
        target: isObject(item) ? str(item.next) : undefined,
        index: i,
        event: isObject(item) ? str(item.event) : undefined,
      }));
      if (node.timeout !== undefined || node.on_timeout !== undefined) {
        out.push({
          handle: 'timeout',
          kind: 'timeout',
          path: 'on_timeout',
          target: str(node.on_timeout),
          timeout: str(node.timeout),
        });
      }
      return out;
    }
    case 'split': {
      const items = Array.isArray(node.branches) ? node.branches : [];
      return items.map((item, i) => ({
        handle: `branch:${i}`,
        kind: 'branch' as const,
        path: `branches[${i}].next`,
        target: isObject(item) ? str(item.next) : undefined,
        index: i,
        weight: isObject(item) && typeof item.weight === 'number' ? item.weight : undefined,
      }));
    }
    default:
      return [];
  }
}

/** The targets a node links to (connected branches only). */
export function targetsOf(node: PNode): string[] {
  const out: string[] = [];
  for (const b of branchesOf(node)) if (b.target !== undefined) out.push(b.target);
  return out;
}

function withKey<T extends JsonObject | PNode>(obj: T, key: string, value: Json | undefined): T {
  if (value === undefined) {
    if (!(key in obj)) return obj;
    const copy = { ...obj };
    delete copy[key];
    return copy;
  }
  if (obj[key] === value) return obj;
  // Spreading keeps the key where it was; a new key goes last.
  return { ...obj, [key]: value };
}

/** The node with the branch `handle` pointing at `target` (undefined: unlinked). */
export function setBranchTarget(node: PNode, handle: string, target: string | undefined): PNode {
  if (handle === 'next' || handle === 'yes' || handle === 'no') return withKey(node, handle, target);
  if (handle === 'timeout') return withKey(node, 'on_timeout', target);
  const [kind, idx] = handle.split(':');
  const i = Number(idx);
  const listKey = kind === 'for' ? 'for' : kind === 'branch' ? 'branches' : null;
  if (listKey === null || !Number.isInteger(i)) return node;
  const list = node[listKey];
  if (!Array.isArray(list) || !isObject(list[i])) return node;
  const item = withKey(list[i] as JsonObject, 'next', target);
  if (item === list[i]) return node;
  const copy = list.slice();
  copy[i] = item;
  return { ...node, [listKey]: copy };
}

/** The handle that a node inserted on an edge continues through (null: none, e.g. `end`). */
export function primaryHandle(node: PNode): string | null {
  const b = branchesOf(node);
  return b.length > 0 ? (b[0] as Branch).handle : null;
}

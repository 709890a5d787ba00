/**
 * Quick client-side checks run before saving (the server's validator stays the judge):
 * missing fields, links to no node, unknown actions and filter keys, bad durations and
 * times, nodes no trigger reaches, loops without a wait. Each problem has the JSON path of
 * what is at fault, as the API reports them (`$.nodes.by_total.yes`).
 */
import type { Catalog, Json, PNode, Problem, ProcessDoc } from '../types';
import {
  ACTIONS, CHANNELS, FILTER_KEYS, HAS_KINDS, HHMM, NODE_TYPES, OPS, RFM_SEGMENTS, WEEKDAYS,
  branchesOf, isDuration, isObject, targetsOf,
} from './model';

type Report = (path: string, code: string, params?: Record<string, string | number>) => void;

function nonEmpty(v: unknown): boolean {
  return typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null;
}

/** Names from a catalogue list whose items are strings or {name}. */
export function catalogNames(list: Catalog['templates'] | Catalog['processes'] | undefined): Set<string> {
  return new Set((list ?? []).map((x) => (typeof x === 'string' ? x : x.name)));
}

export function validateFilter(raw: Json | undefined, path: string, bad: Report): void {
  if (!isObject(raw)) {
    bad(path, 'filter_object');
    return;
  }
  const kinds = Object.keys(raw).filter((k) => FILTER_KEYS.includes(k));
  if (kinds.length !== 1) {
    const unknown = Object.keys(raw).filter((k) => !FILTER_KEYS.includes(k) && !(OPS as readonly string[]).includes(k));
    if (unknown.length > 0) bad(`${path}.${unknown[0]}`, 'filter_unknown_key', { key: unknown[0] as string });
    else if (kinds.length === 0) bad(path, 'filter_empty');
    else bad(path, 'filter_many');
    return;
  }
  const kind = kinds[0] as string;
  const value = raw[kind];
  const extra = (allowed: string[]) => {
    for (const k of Object.keys(raw)) if (!allowed.includes(k)) bad(`${path}.${k}`, 'filter_extra_key', { key: k });
  };
  const name = () => {
    if (typeof value !== 'string' || value.trim() === '') bad(`${path}.${kind}`, 'missing', { field: kind });
  };
  const cmpOf = () => {
    extra([kind, ...OPS]);
    name();
    const ops = Object.keys(raw).filter((k) => (OPS as readonly string[]).includes(k));
    if (ops.length !== 1) bad(path, 'filter_one_op', { key: kind });
    else checkCmp(ops[0] as string, raw[ops[0] as string], `${path}.${ops[0]}`, bad);
  };
  switch (kind) {
    case 'all':
    case 'any':
      extra([kind]);
      if (!Array.isArray(value) || value.length === 0) bad(`${path}.${kind}`, 'filter_group_empty');
      else value.forEach((item, i) => validateFilter(item, `${path}.${kind}[${i}]`, bad));
      return;
    case 'not':
      extra([kind]);
      validateFilter(value, `${path}.not`, bad);
      return;
    case 'tag':
    case 'list':
    case 'owner':
    case 'in_process':
      extra([kind]);
      name();
      return;
    case 'subscribed':
      extra([kind]);
      if (!(CHANNELS as readonly Json[]).includes(value as Json)) bad(`${path}.${kind}`, 'filter_bad', { key: kind });
      return;
    case 'has':
      extra([kind]);
      if (!(HAS_KINDS as readonly Json[]).includes(value as Json)) bad(`${path}.${kind}`, 'filter_bad', { key: kind });
      return;
    case 'field':
    case 'prop':
    case 'var':
      cmpOf();
      return;
    case 'total_paid':
    case 'score':
      extra([kind]);
      checkNumbers(value, `${path}.${kind}`, bad);
      return;
    case 'event': {
      extra(['event', 'where', 'within', 'count', 'since']);
      name();
      if ('where' in raw) validateFilter(raw.where, `${path}.where`, bad);
      if ('within' in raw && !isDuration(raw.within)) bad(`${path}.within`, 'bad_duration', { value: String(raw.within) });
      if ('count' in raw) checkNumbers(raw.count, `${path}.count`, bad);
      if ('since' in raw && raw.since !== 'run') bad(`${path}.since`, 'filter_bad', { key: 'since' });
      return;
    }
    case 'stage': {
      extra([kind]);
      if (!isObject(value) || typeof value.funnel !== 'string' || value.funnel === '') {
        bad(`${path}.stage`, 'filter_bad', { key: kind });
        return;
      }
      const ops = Object.keys(value).filter((k) => k !== 'funnel');
      if (ops.length !== 1 || !(OPS as readonly string[]).includes(ops[0] as string)) bad(`${path}.stage`, 'filter_one_op', { key: kind });
      else checkCmp(ops[0] as string, value[ops[0] as string], `${path}.stage.${ops[0]}`, bad);
      return;
    }
    case 'rfm': {
      extra([kind]);
      const names = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(names) || names.length === 0 || !names.every((n) => (RFM_SEGMENTS as readonly Json[]).includes(n))) {
        bad(`${path}.rfm`, 'filter_bad', { key: kind });
      }
      return;
    }
    case 'note':
      extra([kind]);
      if (!isObject(value) || Object.keys(value).join() !== 'contains' || typeof value.contains !== 'string') {
        bad(`${path}.note`, 'filter_bad', { key: kind });
      }
      return;
    case 'local_time': {
      extra([kind]);
      const between = isObject(value) ? value.between : undefined;
      if (!Array.isArray(between) || between.length !== 2 || !between.every((t) => typeof t === 'string' && HHMM.test(t))) {
        bad(`${path}.local_time`, 'bad_time');
      }
      return;
    }
    case 'weekday': {
      extra([kind]);
      const days = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(days) || days.length === 0 || !days.every((d) => (WEEKDAYS as readonly Json[]).includes(d))) {
        bad(`${path}.weekday`, 'bad_days');
      }
      return;
    }
  }
}

function checkCmp(op: string, value: Json | undefined, path: string, bad: Report): void {
  if (op === 'exists' && typeof value !== 'boolean') bad(path, 'filter_bad', { key: op });
  else if (op === 'in' && !Array.isArray(value)) bad(path, 'filter_bad', { key: op });
  else if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number' && typeof value !== 'string') {
    bad(path, 'filter_bad', { key: op });
  }
}

function checkNumbers(raw: Json | undefined, path: string, bad: Report): void {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    bad(path, 'filter_numbers');
    return;
  }
  for (const [op, v] of Object.entries(raw)) {
    if (!(OPS as readonly string[]).includes(op)) bad(`${path}.${op}`, 'filter_unknown_op', { key: op });
    else if (typeof v !== 'number') bad(`${path}.${op}`, 'not_number');
  }
}

function checkNode(id: string, node: PNode, bad: Report, catalog?: Catalog | null): void {
  const path = `$.nodes.${id}`;
  const need = (key: string) => {
    if (!nonEmpty(node[key])) bad(`${path}.${key}`, 'missing', { field: key });
  };
  switch (node.type) {
    case 'trigger':
      need('event');
      need('next');
      if ('where' in node) validateFilter(node.where, `${path}.where`, bad);
      break;
    case 'action': {
      const spec = typeof node.do === 'string' ? ACTIONS[node.do] : undefined;
      if (!spec) {
        bad(`${path}.do`, 'unknown_action', { value: String(node.do ?? '') });
        break;
      }
      for (const p of spec.required) need(p);
      for (const k of Object.keys(node)) {
        if (!['type', 'do', 'next', ...spec.required, ...spec.optional].includes(k)) {
          bad(`${path}.${k}`, 'extra_param', { field: k, action: node.do as string });
        }
      }
      if (node.do === 'change_score' && 'by' in node && !Number.isInteger(node.by)) bad(`${path}.by`, 'not_number');
      if (node.do === 'set_var' && isObject(node.value) && 'next_slot' in node.value) {
        const v = node.value;
        const slots = v.next_slot;
        if (!Array.isArray(slots) || slots.length === 0 || !slots.every((s) => typeof s === 'string' && HHMM.test(s))) {
          bad(`${path}.value.next_slot`, 'bad_time');
        }
        if ('min_lead' in v && !isDuration(v.min_lead)) bad(`${path}.value.min_lead`, 'bad_duration', { value: String(v.min_lead) });
        if ('days' in v) checkDays(v.days, `${path}.value.days`, bad);
      }
      if (catalog && (node.do === 'send_email' || node.do === 'send_sms') && nonEmpty(node.template)) {
        const names = catalogNames(catalog.templates);
        if (names.size > 0 && !names.has(node.template as string)) bad(`${path}.template`, 'unknown_template', { value: node.template as string });
      }
      if (catalog && (node.do === 'start_process' || node.do === 'stop_process') && nonEmpty(node.process)) {
        const names = catalogNames(catalog.processes);
        if (names.size > 0 && !names.has(node.process as string)) bad(`${path}.process`, 'unknown_process', { value: node.process as string });
      }
      if ('headers' in node && !isObject(node.headers)) bad(`${path}.headers`, 'not_object');
      break;
    }
    case 'condition':
      if (!('if' in node)) bad(`${path}.if`, 'missing', { field: 'if' });
      else validateFilter(node.if, `${path}.if`, bad);
      need('yes');
      need('no');
      break;
    case 'wait': {
      const items = node.for;
      if (!Array.isArray(items) || items.length === 0) bad(`${path}.for`, 'wait_empty');
      else {
        items.forEach((item, i) => {
          const p = `${path}.for[${i}]`;
          if (!isObject(item)) {
            bad(p, 'not_object');
            return;
          }
          if (!nonEmpty(item.event)) bad(`${p}.event`, 'missing', { field: 'event' });
          if (!nonEmpty(item.next)) bad(`${p}.next`, 'missing', { field: 'next' });
          if ('where' in item) validateFilter(item.where, `${p}.where`, bad);
        });
      }
      if ('timeout' in node && !isDuration(node.timeout)) bad(`${path}.timeout`, 'bad_duration', { value: String(node.timeout) });
      if (('timeout' in node) !== ('on_timeout' in node)) bad(path, 'timeout_pair');
      break;
    }
    case 'delay': {
      const modes = ['for', 'until_time', 'until'].filter((k) => k in node);
      if (modes.length !== 1) bad(path, 'delay_one');
      if ('for' in node && !isDuration(node.for)) bad(`${path}.for`, 'bad_duration', { value: String(node.for) });
      if ('until_time' in node && !(typeof node.until_time === 'string' && HHMM.test(node.until_time))) bad(`${path}.until_time`, 'bad_time');
      if ('until' in node && !nonEmpty(node.until)) bad(`${path}.until`, 'missing', { field: 'until' });
      if ('offset' in node && !isDuration(node.offset, true)) bad(`${path}.offset`, 'bad_duration', { value: String(node.offset) });
      if ('offset' in node && !('until' in node)) bad(`${path}.offset`, 'goes_with', { field: 'offset', other: 'until' });
      if ('days' in node) {
        checkDays(node.days, `${path}.days`, bad);
        if (!('until_time' in node)) bad(`${path}.days`, 'goes_with', { field: 'days', other: 'until_time' });
      }
      if ('timezone' in node && !('until_time' in node)) bad(`${path}.timezone`, 'goes_with', { field: 'timezone', other: 'until_time' });
      need('next');
      break;
    }
    case 'split': {
      const items = node.branches;
      if (!Array.isArray(items) || items.length < 2) bad(`${path}.branches`, 'split_two');
      (Array.isArray(items) ? items : []).forEach((item, i) => {
        const p = `${path}.branches[${i}]`;
        if (!isObject(item)) return;
        if (typeof item.weight !== 'number' || item.weight <= 0) bad(`${p}.weight`, 'bad_weight');
        if (!nonEmpty(item.next)) bad(`${p}.next`, 'missing', { field: 'next' });
      });
      if ('winner' in node) {
        const w = node.winner;
        if (!isObject(w) || !nonEmpty(w.by)) bad(`${path}.winner.by`, 'missing', { field: 'by' });
        else if (w.by === 'outcome:') bad(`${path}.winner.by`, 'missing', { field: 'outcome' });
        const after = isObject(w) ? w.after : undefined;
        if (!(isDuration(after) || (typeof after === 'number' && Number.isInteger(after) && after >= 1))) {
          bad(`${path}.winner.after`, 'bad_after');
        }
      }
      break;
    }
    case 'end':
      break;
    default:
      bad(`${path}.type`, 'unknown_type', { value: String(node.type) });
  }
}

function checkDays(days: Json | undefined, path: string, bad: Report): void {
  if (!Array.isArray(days) || days.length === 0 || !days.every((d) => (WEEKDAYS as readonly Json[]).includes(d))) bad(path, 'bad_days');
}

/** Every problem of the document at once. `catalog` (when known) checks template and process names. */
export function validateDoc(doc: ProcessDoc, catalog?: Catalog | null): Problem[] {
  const problems: Problem[] = [];
  const bad: Report = (path, code, params) => problems.push(params ? { path, code, params } : { path, code });
  if (typeof doc.name !== 'string' || doc.name.trim() === '') bad('$.name', 'missing', { field: 'name' });
  if (doc.reentry !== undefined && !['once', 'always', 'if_not_active'].includes(doc.reentry)) bad('$.reentry', 'bad_reentry');
  (doc.exit_on ?? []).forEach((ex, i) => {
    if (!nonEmpty(ex.event)) bad(`$.exit_on[${i}].event`, 'missing', { field: 'event' });
    if ('where' in ex) validateFilter(ex.where, `$.exit_on[${i}].where`, bad);
  });
  const nodes = doc.nodes;
  const ids = Object.keys(nodes);
  for (const id of ids) {
    const node = nodes[id] as PNode;
    if (!isObject(node) || !(NODE_TYPES as readonly string[]).includes(node.type)) {
      bad(`$.nodes.${id}.type`, 'unknown_type', { value: String(isObject(node) ? node.type : node) });
      continue;
    }
    checkNode(id, node, bad, catalog);
    for (const b of branchesOf(node)) {
      if (b.target === undefined || b.target === '') continue;
      const t = nodes[b.target];
      if (!t) bad(`$.nodes.${id}.${b.path}`, 'unknown_target', { target: b.target });
      else if (t.type === 'trigger') bad(`$.nodes.${id}.${b.path}`, 'target_trigger', { target: b.target });
    }
  }
  const triggers = ids.filter((id) => nodes[id]?.type === 'trigger');
  if (triggers.length === 0) {
    bad('$.nodes', 'no_trigger');
  } else {
    const seen = new Set(triggers);
    const todo = [...triggers];
    while (todo.length > 0) {
      const node = nodes[todo.pop() as string];
      for (const t of node ? targetsOf(node) : []) {
        if (nodes[t] && !seen.has(t)) {
          seen.add(t);
          todo.push(t);
        }
      }
    }
    for (const id of ids) if (!seen.has(id)) bad(`$.nodes.${id}`, 'unreachable');
  }
  const cycle = instantCycle(nodes);
  if (cycle) bad(`$.nodes.${cycle[0]}`, 'loop', { path: [...cycle, cycle[0]].join(' → ') });
  return problems;
}

/** A loop made only of nodes that do not wait, or null. */
export function instantCycle(nodes: Record<string, PNode>): string[] | null {
  const instant = new Set(Object.keys(nodes).filter((k) => nodes[k]?.type !== 'wait' && nodes[k]?.type !== 'delay'));
  const color = new Map<string, 1 | 2>();
  for (const start of [...instant].sort()) {
    if (color.has(start)) continue;
    const stack: { id: string; ts: string[]; i: number }[] = [];
    const path: string[] = [];
    const enter = (id: string) => {
      color.set(id, 1);
      path.push(id);
      stack.push({ id, ts: targetsOf(nodes[id] as PNode).filter((t) => instant.has(t)), i: 0 });
    };
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; ts: string[]; i: number };
      if (top.i >= top.ts.length) {
        color.set(top.id, 2);
        stack.pop();
        path.pop();
        continue;
      }
      const t = top.ts[top.i++] as string;
      if (color.get(t) === 1) return path.slice(path.indexOf(t));
      if (!color.has(t)) enter(t);
    }
  }
  return null;
}

/** The node a problem path points into (`$.nodes.by_total.yes` → `by_total`), or null. */
export function nodeOfPath(path: string, ids?: Iterable<string>): string | null {
  const m = /^\$\.nodes(?:\.([^.[\]]+)|\[['"]([^'"]+)['"]\])/.exec(path);
  if (!m) return null;
  const simple = (m[1] ?? m[2]) as string;
  if (ids) {
    // Ids may contain dots: take the longest id that the path starts with.
    const rest = path.slice('$.nodes.'.length);
    let best: string | null = null;
    for (const id of ids) {
      if ((rest === id || rest.startsWith(`${id}.`) || rest.startsWith(`${id}[`)) && (best === null || id.length > best.length)) best = id;
    }
    if (best !== null) return best;
  }
  return simple;
}

/** Problems grouped by node id; the rest (process-level) under ''. */
export function problemsByNode(problems: Problem[], ids?: Iterable<string>): Map<string, Problem[]> {
  const idList = ids ? [...ids] : undefined;
  const out = new Map<string, Problem[]>();
  for (const p of problems) {
    const id = nodeOfPath(p.path, idList) ?? '';
    const list = out.get(id) ?? [];
    list.push(p);
    out.set(id, list);
  }
  return out;
}

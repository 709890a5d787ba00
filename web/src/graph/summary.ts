/**
 * One-line human summaries of nodes and filters, for node cards and the outline view.
 * Pure: the words come from the translate function it is given.
 */
import type { Json, PNode } from '../types';
import { isObject } from './model';

export type Words = (key: string, params?: Record<string, string | number>) => string;

const OP_SIGNS: Record<string, string> = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };

function show(v: Json | undefined): string {
  if (typeof v === 'string') return v === '' ? '…' : v;
  if (v === undefined) return '…';
  return JSON.stringify(v);
}

function cmp(op: string, value: Json | undefined, w: Words): string {
  if (op in OP_SIGNS) return `${OP_SIGNS[op]} ${show(value)}`;
  if (op === 'exists') return value === false ? w('sum.notExists') : w('sum.exists');
  if (op === 'in') return `${w('sum.in')} ${Array.isArray(value) ? value.map((x) => show(x)).join(', ') : show(value)}`;
  if (op === 'contains') return `${w('sum.contains')} ${show(value)}`;
  return `${op} ${show(value)}`;
}

function cmps(raw: Json | undefined, w: Words): string {
  if (!isObject(raw)) return show(raw);
  return Object.entries(raw).map(([op, v]) => cmp(op, v, w)).join(` ${w('sum.and')} `);
}

const CMP_KEYS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'];

function opOf(raw: Record<string, Json>): [string, Json | undefined] {
  const op = Object.keys(raw).find((k) => CMP_KEYS.includes(k));
  return op ? [op, raw[op]] : ['?', undefined];
}

/** `{"total_paid": {"gte": 50000}}` → "total paid ≥ 50000". */
export function filterSummary(f: Json | undefined, w: Words): string {
  if (!isObject(f)) return '…';
  if (Array.isArray(f.all)) return f.all.map((x) => wrap(x, w)).join(` ${w('sum.and')} `) || '…';
  if (Array.isArray(f.any)) return f.any.map((x) => wrap(x, w)).join(` ${w('sum.or')} `) || '…';
  if ('not' in f) return `${w('sum.not')} ${wrap(f.not, w)}`;
  if ('tag' in f) return `${w('sum.tag')} ${show(f.tag)}`;
  if ('list' in f) return `${w('sum.list')} ${show(f.list)}`;
  for (const k of ['field', 'prop', 'var'] as const) {
    if (k in f) {
      const [op, v] = opOf(f);
      return `${w(`sum.${k}`)} ${show(f[k])} ${cmp(op, v, w)}`;
    }
  }
  if ('total_paid' in f) return `${w('sum.total_paid')} ${cmps(f.total_paid, w)}`;
  if ('score' in f) return `${w('sum.score')} ${cmps(f.score, w)}`;
  if ('event' in f) {
    const bits: string[] = [];
    if (f.within !== undefined) bits.push(w('sum.within', { d: show(f.within) }));
    if (f.count !== undefined) bits.push(`${w('sum.count')} ${cmps(f.count, w)}`);
    if (f.since === 'run') bits.push(w('sum.sinceRun'));
    if (f.where !== undefined) bits.push(filterSummary(f.where, w));
    return `${w('sum.event')} ${show(f.event)}${bits.length ? ` (${bits.join(', ')})` : ''}`;
  }
  if ('subscribed' in f) return w('sum.subscribed', { channel: show(f.subscribed) });
  if ('has' in f) return w('sum.has', { what: show(f.has) });
  if ('in_process' in f) return w('sum.in_process', { name: show(f.in_process) });
  if ('stage' in f && isObject(f.stage)) {
    const [op, v] = opOf(f.stage);
    return `${w('sum.stage')} ${show(f.stage.funnel)} ${cmp(op, v, w)}`;
  }
  if ('rfm' in f) return `${w('sum.rfm')} ${Array.isArray(f.rfm) ? f.rfm.map((x) => show(x)).join(', ') : show(f.rfm)}`;
  if ('owner' in f) return `${w('sum.owner')} ${show(f.owner)}`;
  if ('note' in f && isObject(f.note)) return `${w('sum.note')} ${w('sum.contains')} ${show(f.note.contains)}`;
  if ('local_time' in f && isObject(f.local_time) && Array.isArray(f.local_time.between)) {
    const [a, b] = f.local_time.between;
    return w('sum.local_time', { from: show(a), to: show(b) });
  }
  if ('weekday' in f) return `${w('sum.weekday')} ${Array.isArray(f.weekday) ? f.weekday.join(', ') : show(f.weekday)}`;
  return JSON.stringify(f);
}

function wrap(f: Json | undefined, w: Words): string {
  const s = filterSummary(f, w);
  return isObject(f) && (Array.isArray(f.all) || Array.isArray(f.any)) ? `(${s})` : s;
}

/** The gist of a node: its event, action and parameter, condition, wait or delay. */
export function nodeSummary(node: PNode, w: Words): string {
  switch (node.type) {
    case 'trigger':
      return node.where !== undefined ? `${show(node.event)} · ${filterSummary(node.where, w)}` : show(node.event);
    case 'action':
      return actionSummary(node, w);
    case 'condition':
      return filterSummary(node.if, w);
    case 'wait': {
      const events = Array.isArray(node.for) ? node.for.map((x) => (isObject(x) ? show(x.event) : '…')) : [];
      const to = node.timeout !== undefined ? ` · ${w('sum.upTo', { d: show(node.timeout) })}` : '';
      return `${events.join(` ${w('sum.or')} `)}${to}`;
    }
    case 'delay': {
      if (node.for !== undefined) return w('sum.for', { d: show(node.for) });
      if (node.until_time !== undefined) {
        let s = w('sum.at', { time: show(node.until_time) });
        if (Array.isArray(node.days)) s += ` · ${node.days.join(', ')}`;
        if (node.timezone === 'contact') s += ` · ${w('sum.contactTz')}`;
        else if (typeof node.timezone === 'string') s += ` · ${node.timezone}`;
        return s;
      }
      if (node.until !== undefined) return w('sum.until', { when: show(node.until) }) + (node.offset !== undefined ? ` ${show(node.offset)}` : '');
      return '…';
    }
    case 'split': {
      const ws = Array.isArray(node.branches) ? node.branches.map((b) => (isObject(b) ? show(b.weight) : '?')) : [];
      const winner = isObject(node.winner) ? ` · ${w('sum.winner', { by: show(node.winner.by) })}` : '';
      return `${ws.join(' / ')}${winner}`;
    }
    case 'end':
      return typeof node.outcome === 'string' ? node.outcome : '';
    default:
      return '';
  }
}

function actionSummary(n: PNode, w: Words): string {
  switch (n.do) {
    case 'add_tag':
    case 'remove_tag':
      return show(n.tag);
    case 'add_to_list':
    case 'remove_from_list':
      return show(n.list);
    case 'set_field':
      return `${show(n.field)} = ${show(n.value)}`;
    case 'change_score':
      return typeof n.by === 'number' && n.by > 0 ? `+${n.by}` : show(n.by);
    case 'set_var':
      if (isObject(n.value) && Array.isArray(n.value.next_slot)) {
        return `${show(n.name)} = ${w('sum.nextSlot', { slots: n.value.next_slot.map((x) => show(x)).join(', ') })}`;
      }
      return `${show(n.name)} = ${show(n.value)}`;
    case 'send_email':
    case 'send_sms':
      return show(n.template);
    case 'webhook':
      return `${typeof n.method === 'string' ? n.method : 'POST'} ${show(n.url)}`;
    case 'start_process':
    case 'stop_process':
      return show(n.process);
    case 'add_note':
      return show(n.text);
    case 'set_owner':
      return show(n.owner);
    case 'set_stage':
      return `${show(n.funnel)} → ${show(n.stage)}`;
    default:
      return '';
  }
}

import { describe, expect, it } from 'vitest';
import { translator } from '../i18n';
import type { MessageKey } from '../i18n';
import { fixture } from './fixtures';
import { outlineOrder } from './outline';
import { filterSummary, nodeSummary, type Words } from './summary';

const t = translator('en');
const w: Words = (k, p) => t(k as MessageKey, p);

describe('summaries', () => {
  it('summarises the nodes of the personal offer', () => {
    const d = fixture('personal-offer');
    expect(nodeSummary(d.nodes.new_order!, w)).toBe('order.created · event property product = Course A');
    expect(nodeSummary(d.nodes.by_total!, w)).toBe('total paid ≥ 50000');
    expect(nodeSummary(d.nodes.outcome!, w)).toBe('order.cancelled or order.paid · up to 30d');
    expect(nodeSummary(d.nodes.d50!, w)).toBe('discount-50');
    expect(nodeSummary(d.nodes.converted!, w)).toBe('converted');
  });

  it('summarises filters of every kind', () => {
    expect(filterSummary({ all: [{ tag: 'a' }, { any: [{ list: 'b' }, { not: { has: 'phone' } }] }] }, w)).toBe(
      'tag a and (list b or not has phone)',
    );
    expect(filterSummary({ event: 'email.opened', within: '7d', since: 'run' }, w)).toBe('event email.opened (within 7d, since the run started)');
    expect(filterSummary({ local_time: { between: ['22:00', '06:00'] } }, w)).toBe('local time 22:00–06:00');
    expect(filterSummary({ score: { gte: 50, lt: 100 } }, w)).toBe('score ≥ 50 and < 100');
  });

  it('summarises delays and actions', () => {
    const d = fixture('auto-webinar');
    expect(nodeSummary(d.nodes.hour_before!, w)).toBe('until {{ vars.webinar_at }} -1h');
    expect(nodeSummary(d.nodes.pick_session!, w)).toBe('webinar_at = next slot of 11:00, 20:00');
    expect(nodeSummary({ type: 'delay', until_time: '10:00', days: ['mon'], timezone: 'contact' }, w)).toBe('at 10:00 · mon · contact’s timezone');
  });

  it('orders the outline depth first from the triggers', () => {
    expect(outlineOrder(fixture('personal-offer'))).toEqual([
      'new_order', 'made_order', 'outcome', 'cheaper', 'lost', 'by_total', 'd50', 'converted', 'd30', 'done',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Catalog, JsonObject, ProcessDoc } from '../types';
import { FIXTURES, fixture } from './fixtures';
import { instantCycle, nodeOfPath, problemsByNode, validateDoc } from './validate';

const codes = (doc: ProcessDoc, catalog?: Catalog) => validateDoc(doc, catalog).map((p) => `${p.path} ${p.code}`);

function doc(nodes: ProcessDoc['nodes']): ProcessDoc {
  return { nurtura: 1, name: 'T', nodes };
}

describe('validateDoc', () => {
  for (const f of FIXTURES) {
    it(`finds nothing wrong in ${f.name}`, () => {
      expect(codes(f.doc)).toEqual([]);
    });
  }

  it('reports links to no node, with the JSON path of the branch', () => {
    const d = fixture('personal-offer');
    d.nodes.by_total = { ...d.nodes.by_total!, yes: 'nowhere' };
    d.nodes.outcome = { ...d.nodes.outcome!, for: [{ event: 'order.paid', next: 'ghost' }] };
    expect(codes(d)).toEqual(
      expect.arrayContaining(['$.nodes.by_total.yes unknown_target', '$.nodes.outcome.for[0].next unknown_target']),
    );
  });

  it('reports missing fields of new nodes', () => {
    const c = codes(doc({
      t: { type: 'trigger', event: '', next: 'a' },
      a: { type: 'action', do: 'send_email', template: '', next: 'w' },
      w: { type: 'wait', for: [{ event: '' }], timeout: '1d' },
    }));
    expect(c).toEqual(expect.arrayContaining([
      '$.nodes.t.event missing',
      '$.nodes.a.template missing',
      '$.nodes.w.for[0].event missing',
      '$.nodes.w.for[0].next missing',
      '$.nodes.w timeout_pair',
    ]));
  });

  it('reports unknown actions, extra parameters, bad durations and times', () => {
    const c = codes(doc({
      t: { type: 'trigger', event: 'e', next: 'a' },
      a: { type: 'action', do: 'fly', next: 'b' },
      b: { type: 'action', do: 'add_tag', tag: 'x', list: 'y', next: 'd' },
      d: { type: 'delay', for: '3 days', next: 'e' },
      e: { type: 'delay', until_time: '25:00', next: 'f' },
      f: { type: 'delay', for: '1d', until: 'x', next: 'g' },
      g: { type: 'frob' },
    }));
    expect(c).toEqual(expect.arrayContaining([
      '$.nodes.a.do unknown_action',
      '$.nodes.b.list extra_param',
      '$.nodes.d.for bad_duration',
      '$.nodes.e.until_time bad_time',
      '$.nodes.f delay_one',
      '$.nodes.g.type unknown_type',
    ]));
  });

  it('checks every kind of filter leaf', () => {
    const good: JsonObject[] = [
      { tag: 'a' }, { list: 'b' }, { field: 'city', eq: 'Delft' }, { prop: 'p', in: [1, '1'] },
      { var: 'x', exists: true }, { total_paid: { gte: 5 } }, { score: { gte: 50, lt: 100 } },
      { event: 'email.opened', where: { prop: 'template', eq: 'x' }, within: '7d', count: { gte: 1 }, since: 'run' },
      { subscribed: 'email' }, { has: 'phone' }, { in_process: 'P' }, { stage: { funnel: 'Sales', eq: 'Demo' } },
      { rfm: 'at_risk' }, { rfm: ['lost', 'new'] }, { owner: 'anna' }, { note: { contains: 'VIP' } },
      { local_time: { between: ['22:00', '06:00'] } }, { weekday: ['thu'] },
      { all: [{ tag: 'a' }, { any: [{ not: { list: 'b' } }] }] },
    ];
    for (const f of good) {
      expect(codes(doc({ t: { type: 'trigger', event: 'e', where: f, next: 'x' }, x: { type: 'end' } }))).toEqual([]);
    }
    const bad: [object, string][] = [
      [{ colour: 'red' }, '$.nodes.t.where.colour filter_unknown_key'],
      [{}, '$.nodes.t.where filter_empty'],
      [{ tag: 'a', list: 'b' }, '$.nodes.t.where filter_many'],
      [{ field: 'a' }, '$.nodes.t.where filter_one_op'],
      [{ total_paid: { gte: 'lots' } }, '$.nodes.t.where.total_paid.gte not_number'],
      [{ subscribed: 'fax' }, '$.nodes.t.where.subscribed filter_bad'],
      [{ rfm: 'sleepy' }, '$.nodes.t.where.rfm filter_bad'],
      [{ weekday: ['someday'] }, '$.nodes.t.where.weekday bad_days'],
      [{ local_time: { between: ['9:00', '10:00'] } }, '$.nodes.t.where.local_time bad_time'],
      [{ all: [] }, '$.nodes.t.where.all filter_group_empty'],
      [{ not: { tag: '' } }, '$.nodes.t.where.not.tag missing'],
      [{ event: 'x', within: 'soon' }, '$.nodes.t.where.within bad_duration'],
    ];
    for (const [f, expected] of bad) {
      expect(codes(doc({ t: { type: 'trigger', event: 'e', where: f as never, next: 'x' }, x: { type: 'end' } }))).toContain(expected);
    }
  });

  it('reports a process without trigger, unreachable nodes and instant loops', () => {
    expect(codes(doc({ a: { type: 'end' } }))).toEqual(['$.nodes no_trigger']);
    const c = codes(doc({
      t: { type: 'trigger', event: 'e', next: 'a' },
      a: { type: 'action', do: 'add_tag', tag: 'x', next: 'b' },
      b: { type: 'condition', if: { tag: 'x' }, yes: 'a', no: 'z' },
      z: { type: 'end' },
      lonely: { type: 'end' },
    }));
    expect(c).toEqual(expect.arrayContaining(['$.nodes.lonely unreachable', '$.nodes.a loop']));
    const loop = validateDoc(doc({
      t: { type: 'trigger', event: 'e', next: 'a' },
      a: { type: 'action', do: 'add_tag', tag: 'x', next: 'b' },
      b: { type: 'condition', if: { tag: 'x' }, yes: 'a', no: 'a' },
    })).find((p) => p.code === 'loop');
    expect(loop?.params?.path).toBe('a → b → a');
  });

  it('allows loops through a wait or a delay', () => {
    expect(instantCycle(fixture('lead-to-buyer').nodes)).toBeNull();
  });

  it('knows templates and processes from the catalogue', () => {
    const catalog: Catalog = { events: [], templates: ['discount-50', { name: 'discount-30' }], tags: [], lists: [], processes: ['Campaign 1'], funnels: {} };
    const c = codes(fixture('personal-offer'), catalog);
    expect(c).toEqual(['$.nodes.cheaper.template unknown_template']);
  });
});

describe('nodeOfPath', () => {
  it('finds the node of a problem path', () => {
    expect(nodeOfPath('$.nodes.by_total.yes')).toBe('by_total');
    expect(nodeOfPath('$.nodes.outcome.for[1].next')).toBe('outcome');
    expect(nodeOfPath('$.nodes.outcome')).toBe('outcome');
    expect(nodeOfPath("$.nodes['odd.id'].next")).toBe('odd.id');
    expect(nodeOfPath('$.nodes.odd.id.next', ['odd', 'odd.id'])).toBe('odd.id');
    expect(nodeOfPath('$.name')).toBeNull();
    expect(nodeOfPath('$.nodes')).toBeNull();
  });

  it('groups problems by node', () => {
    const m = problemsByNode([{ path: '$.nodes.a.next', message: 'x' }, { path: '$.name', message: 'y' }, { path: '$.nodes.a', message: 'z' }]);
    expect(m.get('a')).toHaveLength(2);
    expect(m.get('')).toHaveLength(1);
  });
});

/** Smoke tests: every form, filter leaf, node card and page section renders (server-side
 * rendering, no browser needed) in every language. */
import { ReactFlowProvider } from '@xyflow/react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../graph/fixtures';
import { FILTER_LEAVES } from '../graph/model';
import { newNode, PALETTE } from '../graph/ops';
import { I18nProvider, LANGUAGES } from '../i18n';
import type { PNode, ProcessStats } from '../types';
import { defaultLeaf, FilterEditor, type Names } from './FilterEditor';
import { NodeForm } from './NodeForm';
import { Outline } from './Outline';
import { ProcessNode } from './ProcessNode';
import { ProcessSettings } from './ProcessSettings';
import { StatsView } from './StatsView';

const names: Names = { events: ['order.paid'], tags: ['VIP'], lists: ['Buyers'], processes: ['Campaign 1'], templates: ['discount-50'], funnels: { Sales: ['Demo'] }, fields: [], outcomes: ['converted'] };
const noop = () => undefined;

function form(id: string, node: PNode, lang: 'en' | 'ru' | 'nl' = 'en') {
  return renderToString(
    <I18nProvider lang={lang}>
      <NodeForm
        id={id}
        node={node}
        onChange={noop}
        onRename={() => null}
        onDelete={noop}
        names={names}
        targets={[{ value: 'x', label: 'x' }]}
        errors={new Map([['', ['a problem']]])}
        readOnly={false}
        processTimezone="UTC"
      />
    </I18nProvider>,
  );
}

describe('rendering', () => {
  it('renders the form of every palette kind', () => {
    for (const kind of PALETTE) {
      const html = form('n', newNode(kind));
      expect(html).toContain('a problem');
    }
  });

  it('renders the form of every step of the library, in every language', () => {
    for (const lang of LANGUAGES) {
      for (const f of FIXTURES) {
        for (const [id, node] of Object.entries(f.doc.nodes)) expect(form(id, node, lang)).toContain(id);
      }
    }
  });

  it('renders every delay mode and a split with a winner', () => {
    for (const node of [
      { type: 'delay', until_time: '10:00', days: ['mon'], timezone: 'contact', next: 'x' },
      { type: 'delay', until: '{{ vars.at }}', offset: '-1h', next: 'x' },
      { type: 'delay', for: 'soon', next: 'x' },
      { type: 'split', branches: [{ weight: 1, next: 'x' }, { weight: 1 }], winner: { by: 'outcome:converted', after: 100 } },
      { type: 'action', do: 'webhook', url: 'https://x', method: 'PUT', body: { a: 1 }, headers: { h: 'v' }, next: 'x' },
      { type: 'action', do: 'set_var', name: 'v', value: { next_slot: ['11:00'], min_lead: '1h', days: ['mon'] } },
    ] as PNode[]) {
      expect(form('n', node)).toContain('n');
    }
  });

  it('renders a filter editor for every leaf, negated and grouped', () => {
    for (const leaf of FILTER_LEAVES) {
      const f = defaultLeaf(leaf);
      const html = renderToString(
        <I18nProvider lang="en">
          <FilterEditor label="F" value={{ all: [f, { not: f }] }} names={names} onChange={noop} />
        </I18nProvider>,
      );
      expect(html).toContain('F');
    }
    const odd = renderToString(
      <I18nProvider lang="en">
        <FilterEditor label="F" value={{ colour: 'red' }} names={names} onChange={noop} />
      </I18nProvider>,
    );
    expect(odd).toContain('colour');
  });

  it('renders node cards with numbers and problems', () => {
    const doc = FIXTURES.find((f) => f.name === 'personal-offer')!.doc;
    for (const [id, node] of Object.entries(doc.nodes)) {
      const html = renderToString(
        <I18nProvider lang="ru">
          <ReactFlowProvider>
            <ProcessNode
              id={id}
              type="process"
              data={{ node, live: true, problems: ['bad'], stats: { reached: 3, waiting: 1, sent: 3, opened: 1, clicked: 0, failed: 1, failures: { smtp: 1 } } }}
              selected={false}
              dragging={false}
              zIndex={0}
              isConnectable
              positionAbsoluteX={0}
              positionAbsoluteY={0}
              selectable
              deletable
              draggable
            />
          </ReactFlowProvider>
        </I18nProvider>,
      );
      expect(html).toContain(id);
      // every number that lists contacts is a button: reached on every step, waiting on waits
      expect(html).toMatch(/<button type="button" class="stat nodrag"><b>3<\/b> (<!-- -->)?дошли<\/button>/);
    }
  });

  it('renders the outline, the settings and the statistics', () => {
    const doc = FIXTURES.find((f) => f.name === 'auto-webinar')!.doc;
    const stats: ProcessStats = { entered: 3, active: 1, completed: { converted: 2 }, exited: 0, failed: 0, nodes: {}, daily: [{ day: '2026-01-01', entered: 1, completed: 1, exited: 0 }] };
    const html = renderToString(
      <I18nProvider lang="nl">
        <Outline doc={doc} problems={new Map()} stats={{}} live selected="attended" onSelect={noop} onShowContacts={noop} />
        <ProcessSettings doc={doc} onChange={noop} names={names} errors={new Map()} readOnly />
        <StatsView stats={stats} error={null} />
      </I18nProvider>,
    );
    expect(html).toContain('pick_second_session');
    expect(html).toMatch(/<button type="button" class="stat"><b>0<\/b> (<!-- -->)?bereikt<\/button>/);
    expect(html).toContain('converted');
  });
});

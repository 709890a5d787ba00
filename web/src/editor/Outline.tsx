/** The outline: the steps as an ordered list (for screen readers and small screens), each
 * with its gist, links, problems and live numbers; every step opens its form. */
import { memo, useMemo } from 'react';
import { branchesOf } from '../graph/model';
import { outlineOrder } from '../graph/outline';
import { nodeSummary } from '../graph/summary';
import { useT } from '../i18n';
import type { NodeStats, ProcessDoc } from '../types';
import { branchText, typeLabel, wordsOf } from './ProcessNode';
import type { ContactsWhat } from './context';

export const Outline = memo(function Outline({
  doc,
  problems,
  stats,
  live,
  selected,
  onSelect,
  onShowContacts,
}: {
  doc: ProcessDoc;
  problems: Map<string, string[]>;
  stats: Record<string, NodeStats> | null;
  live: boolean;
  selected: string | null;
  onSelect: (id: string) => void;
  onShowContacts: (id: string, what: ContactsWhat) => void;
}) {
  const t = useT();
  const order = useMemo(() => outlineOrder(doc), [doc]);
  const w = wordsOf(t);
  const focus = (id: string) => {
    document.getElementById(`outline-${id}`)?.focus();
  };
  if (order.length === 0) return <p className="empty">{t('editor.emptyGraph')}</p>;
  return (
    <div className="outline">
      <h2 className="visually-hidden">{t('outline.title')}</h2>
      <ol className="outline-list">
        {order.map((id) => {
          const node = doc.nodes[id]!;
          const ps = problems.get(id);
          const st = stats?.[id];
          const branches = branchesOf(node);
          return (
            <li key={id} className={`outline-item t-${node.type}${ps ? ' has-problems' : ''}${selected === id ? ' selected' : ''}`}>
              <button type="button" id={`outline-${id}`} className="outline-head" aria-current={selected === id ? 'true' : undefined} onClick={() => onSelect(id)}>
                <span className={`type-dot t-${node.type}`} aria-hidden="true" />
                <span className="pn-kind">{typeLabel(node, t)}</span>
                <span className="pn-id">{id}</span>
                <span className="visually-hidden">{t('outline.edit')}</span>
              </button>
              {nodeSummary(node, w) ? <p className="outline-summary">{nodeSummary(node, w)}</p> : null}
              {live ? (
                <p className="outline-stats">
                  <button type="button" className="stat" onClick={() => onShowContacts(id, 'reached')}>
                    <b>{st?.reached ?? 0}</b> {t('node.reached')}
                  </button>
                  {node.type === 'wait' || node.type === 'delay' ? (
                    <button type="button" className="stat strong" onClick={() => onShowContacts(id, 'waiting')}>
                      <b>{st?.waiting ?? 0}</b> {t('node.waiting')}
                    </button>
                  ) : null}
                  {st?.sent !== undefined ? (
                    <span className="stat">
                      <b>{st.sent}</b> {t('node.sent')} · <b>{st.opened ?? 0}</b> {t('node.opened')} · <b>{st.clicked ?? 0}</b> {t('node.clicked')}
                    </span>
                  ) : null}
                  {st?.failed ? (
                    <button type="button" className="stat bad" onClick={() => onShowContacts(id, 'failed')}>
                      <b>{st.failed}</b> {t('node.failed')}
                    </button>
                  ) : null}
                </p>
              ) : null}
              {ps ? (
                <ul className="pn-problems" aria-label={t('node.problems')}>
                  {ps.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              ) : null}
              {branches.length === 0 ? (
                node.type === 'end' ? <p className="outline-end">{t('outline.noBranches')}</p> : null
              ) : (
                <ul className="outline-branches" aria-label={t('node.branches')}>
                  {branches.map((b) => {
                    const label = b.kind === 'branch' ? `${b.weight ?? '?'}` : b.kind === 'next' ? t('branch.next') : branchText(b.kind, b.event, t);
                    return (
                      <li key={b.handle}>
                        <span className="outline-branch-label">{label}</span>
                        <span aria-hidden="true"> → </span>
                        {b.target && doc.nodes[b.target] ? (
                          <button type="button" className="link-btn" aria-label={t('outline.goTo', { id: b.target })} onClick={() => focus(b.target as string)}>
                            {b.target}
                          </button>
                        ) : b.target ? (
                          <span className="error-text">{b.target}</span>
                        ) : (
                          <span className="muted">{t('node.notLinked')}</span>
                        )}
                      </li>
                    );
                  })}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
});

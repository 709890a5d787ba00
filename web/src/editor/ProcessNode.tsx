/** A step on the canvas: kind, id, gist, live numbers, problems, and one source handle per
 * branch (labelled when there are several). Memoised: it re-renders only when its own
 * data changes. */
import { Handle, type NodeProps, Position, useUpdateNodeInternals } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { FlowNode } from '../graph/convert';
import { branchesOf, MESSAGE_ACTIONS } from '../graph/model';
import { nodeSummary, type Words } from '../graph/summary';
import { type MessageKey, type Translate, tOr, useT } from '../i18n';
import type { NodeStats, PNode } from '../types';
import { useEditorActions } from './context';
import type { EditorNodeData } from './sync';

export function typeLabel(node: PNode, t: Translate): string {
  return node.type === 'action' ? tOr(t, `action.${String(node.do)}`, String(node.do ?? '')) : tOr(t, `type.${node.type}`, node.type);
}

export function wordsOf(t: Translate): Words {
  return (k, p) => t(k as MessageKey, p);
}

export function branchText(kind: string, event: string | undefined, t: Translate): string {
  if (kind === 'yes') return t('branch.yes');
  if (kind === 'no') return t('branch.no');
  if (kind === 'timeout') return t('branch.timeout');
  if (kind === 'event') return event || '…';
  return '';
}

export function failureList(stats: NodeStats): [string, number][] {
  const f = stats.failures;
  if (!f) return [];
  if (Array.isArray(f)) return f.map((x) => [x.reason, x.count]);
  return Object.entries(f);
}

function ProcessNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const t = useT();
  const { readOnly, showContacts } = useEditorActions();
  const d = data as EditorNodeData;
  const node = d.node;
  const branches = useMemo(() => branchesOf(node), [node]);
  const handleKey = branches.map((b) => b.handle).join('|');
  const updateInternals = useUpdateNodeInternals();
  const lastHandles = useRef(handleKey);
  useEffect(() => {
    // Handles added or removed (a wait's event, a split's branch): React Flow must re-measure.
    // Not on mount: the node is measured then anyway, and 300 calls would re-render 300 times.
    if (lastHandles.current === handleKey) return;
    lastHandles.current = handleKey;
    updateInternals(id);
  }, [handleKey, id, updateInternals]);
  const summary = nodeSummary(node, wordsOf(t));
  const problems = d.problems;
  const stats = d.live ? d.stats : undefined;
  const isMessage = node.type === 'action' && MESSAGE_ACTIONS.has(String(node.do));
  const single = branches.length === 1 && branches[0]?.kind === 'next';
  const cls = ['pn', `t-${node.type}`, problems ? 'has-problems' : '', selected ? 'selected' : ''].filter(Boolean).join(' ');
  return (
    <div className={cls}>
      {node.type !== 'trigger' ? (
        <Handle type="target" position={Position.Top} isConnectable={!readOnly} className="pn-in" />
      ) : null}
      <div className="pn-head">
        <span className={`type-dot t-${node.type}`} aria-hidden="true" />
        <span className="pn-kind">{typeLabel(node, t)}</span>
        <span className="pn-id">{id}</span>
      </div>
      {summary ? <div className="pn-summary">{summary}</div> : null}
      {d.live ? (
        <div className="pn-stats">
          <StatButton n={stats?.reached} label={t('node.reached')} onClick={() => showContacts(id, 'reached')} />
          {node.type === 'wait' || node.type === 'delay' ? (
            <StatButton n={stats?.waiting} label={t('node.waiting')} onClick={() => showContacts(id, 'waiting')} strong />
          ) : null}
          {isMessage ? (
            <>
              <Stat n={stats?.sent} label={t('node.sent')} />
              <Stat n={stats?.opened} label={t('node.opened')} />
              <Stat n={stats?.clicked} label={t('node.clicked')} />
            </>
          ) : null}
          {stats?.failed ? <StatButton n={stats.failed} label={t('node.failed')} onClick={() => showContacts(id, 'failed')} bad /> : null}
          {stats && failureList(stats).length > 0 ? (
            <ul className="pn-failures" aria-label={t('node.failures')}>
              {failureList(stats).map(([reason, n]) => (
                <li key={reason}>
                  {reason}: {n}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {problems ? (
        <ul className="pn-problems">
          {problems.slice(0, 3).map((p, i) => (
            <li key={i}>{p}</li>
          ))}
          {problems.length > 3 ? <li>…</li> : null}
        </ul>
      ) : null}
      {single ? (
        <Handle type="source" id="next" position={Position.Bottom} isConnectable={!readOnly} className="pn-out" />
      ) : branches.length > 0 ? (
        <div className="pn-branches">
          {branches.map((b) => (
            <div className={`pn-branch k-${b.kind}`} key={b.handle}>
              <span className="pn-branch-label">{b.kind === 'branch' ? `${b.weight ?? '?'}` : branchText(b.kind, b.event, t)}</span>
              <Handle type="source" id={b.handle} position={Position.Bottom} isConnectable={!readOnly} className="pn-out" />
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function Stat({ n, label, bad = false }: { n: number | undefined; label: string; bad?: boolean }) {
  return (
    <span className={`stat${bad ? ' bad' : ''}`}>
      <b>{n ?? 0}</b> {label}
    </span>
  );
}

function StatButton({
  n,
  label,
  onClick,
  strong = false,
  bad = false,
}: {
  n: number | undefined;
  label: string;
  onClick: () => void;
  strong?: boolean;
  bad?: boolean;
}) {
  return (
    <button type="button" className={`stat nodrag${strong ? ' strong' : ''}${bad ? ' bad' : ''}`} onClick={onClick}>
      <b>{n ?? 0}</b> {label}
    </button>
  );
}

export const ProcessNode = memo(ProcessNodeView);

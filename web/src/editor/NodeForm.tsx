/**
 * The form of one step (node), per type: trigger, every action, condition, wait, delay,
 * split, end; its links ("then go to"); its id; and its JSON for anything else.
 */
import { memo, useEffect, useState } from 'react';
import { branchesOf, isObject } from '../graph/model';
import { tOr, useT } from '../i18n';
import type { Json, PNode } from '../types';
import { ActionFields } from './ActionFields';
import { Check, type Option, TargetSelect, TextField } from './fields';
import { FilterEditor, type Names } from './FilterEditor';
import { DelayFields, SplitFields, WaitFields } from './FlowFields';
import { eventOptions, type Inner, set, str, tidy } from './formUtils';

export interface NodeFormProps {
  id: string;
  node: PNode;
  /** `key` groups quick edits of one field into one undo step. */
  onChange: (id: string, node: PNode, key?: string) => void;
  onRename: (from: string, to: string) => string | null;
  onDelete: (id: string) => void;
  names: Names;
  targets: Option[];
  /** Problem messages keyed by sub-path inside the node ('' for the node itself). */
  errors: Map<string, string[]>;
  readOnly: boolean;
  processTimezone: string;
}

export const NodeForm = memo(function NodeForm(props: NodeFormProps) {
  const { id, node, onChange, targets, errors, readOnly } = props;
  const t = useT();
  const [json, setJson] = useState(false);
  const err = (path: string) => errors.get(path)?.join(' ');
  const change = (next: PNode, key: string) => onChange(id, next, `${id}:${key}`);
  const typeLabel = node.type === 'action' ? tOr(t, `action.${String(node.do)}`, String(node.do)) : tOr(t, `type.${node.type}`, node.type);
  const own = errors.get('');
  return (
    <div className="node-form">
      <h2 className="panel-title">
        <span className={`type-dot t-${node.type}`} aria-hidden="true" />
        {typeLabel}
      </h2>
      {own && own.length > 0 ? (
        <ul className="form-problems" role="alert" aria-label={t('node.problems')}>
          {own.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      ) : null}
      <fieldset className="plain" disabled={readOnly}>
        <IdField id={id} onRename={props.onRename} />
        {json ? null : (
          <>
            <TypeFields {...props} change={change} err={err} />
            <Branches node={node} targets={targets} err={err} onChange={(n) => change(n, 'links')} />
          </>
        )}
      </fieldset>
      {json ? <NodeJson node={node} readOnly={readOnly} onApply={(n) => change(n, 'json')} /> : null}
      <div className="row-buttons">
        <button type="button" aria-pressed={json} onClick={() => setJson(!json)}>
          {t('node.editJson')}
        </button>
        {!readOnly ? (
          <button type="button" className="danger" onClick={() => props.onDelete(id)}>
            {t('node.delete')}
          </button>
        ) : null}
      </div>
    </div>
  );
});

function IdField({ id, onRename }: { id: string; onRename: (from: string, to: string) => string | null }) {
  const t = useT();
  const [text, setText] = useState(id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(id);
    setError(null);
  }, [id]);
  const commit = () => {
    if (text === id) return;
    const problem = onRename(id, text.trim());
    setError(problem);
  };
  return (
    <TextFieldCommit
      label={t('node.id')}
      value={text}
      error={error ?? undefined}
      onChange={(v) => {
        setText(v);
        setError(null);
      }}
      onCommit={commit}
      onReset={() => setText(id)}
    />
  );
}

function TextFieldCommit({
  label,
  value,
  onChange,
  onCommit,
  onReset,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  onCommit: () => void;
  onReset: () => void;
  error?: string | undefined;
}) {
  const [fid] = useState(() => `id-${Math.random().toString(36).slice(2)}`);
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      <input
        id={fid}
        className="mono"
        value={value}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${fid}-err` : undefined}
        onChange={(e) => onChange(e.target.value)}
        onBlur={onCommit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onCommit();
          if (e.key === 'Escape') onReset();
        }}
      />
      {error ? (
        <p className="error-text" id={`${fid}-err`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

function NodeJson({ node, onApply, readOnly }: { node: PNode; onApply: (n: PNode) => void; readOnly: boolean }) {
  const t = useT();
  const [text, setText] = useState(() => JSON.stringify(node, null, 2));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(JSON.stringify(node, null, 2)), [node]);
  const apply = () => {
    try {
      const v = JSON.parse(text) as unknown;
      if (!isObject(v) || typeof v.type !== 'string') throw new Error('{"type": …}');
      setError(null);
      onApply(v as PNode);
    } catch (e) {
      setError(t('node.jsonInvalid', { message: e instanceof Error ? e.message : String(e) }));
    }
  };
  return (
    <div className="field">
      <label htmlFor="node-json">{t('node.json')}</label>
      <textarea id="node-json" className="mono" rows={12} value={text} readOnly={readOnly} spellCheck={false} onChange={(e) => setText(e.target.value)} />
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {readOnly ? null : (
        <button type="button" onClick={apply}>
          {t('node.jsonApply')}
        </button>
      )}
    </div>
  );
}

function TypeFields(p: Inner) {
  switch (p.node.type) {
    case 'trigger':
      return <TriggerFields {...p} />;
    case 'action':
      return <ActionFields {...p} />;
    case 'condition':
      return <ConditionFields {...p} />;
    case 'wait':
      return <WaitFields {...p} />;
    case 'delay':
      return <DelayFields {...p} />;
    case 'split':
      return <SplitFields {...p} />;
    case 'end':
      return <EndFields {...p} />;
    default:
      return null;
  }
}
function WhereFields({
  value,
  present,
  onChange,
  names,
}: {
  value: Json | undefined;
  present: boolean;
  onChange: (f: Json | undefined) => void;
  names: Names;
}) {
  const t = useT();
  return (
    <>
      <Check label={t('field.where')} checked={present} onChange={(on) => onChange(on ? { prop: '', eq: '' } : undefined)} />
      {present ? <FilterEditor label={t('field.where')} value={value} names={names} eventContext onChange={(f) => onChange(f)} /> : null}
    </>
  );
}

function TriggerFields({ node, change, err, names }: Inner) {
  const t = useT();
  return (
    <>
      <TextField
        label={t('field.event')}
        value={str(node.event)}
        options={eventOptions(names)}
        required
        error={err('event')}
        onChange={(v) => change({ ...node, event: v }, 'event')}
      />
      <WhereFields
        value={node.where}
        present={'where' in node}
        names={names}
        onChange={(f) => change(tidy(set(node, 'where', f)), 'where')}
      />
    </>
  );
}
function ConditionFields({ node, change, names }: Inner) {
  const t = useT();
  return <FilterEditor label={t('field.if')} value={node.if} names={names} onChange={(f) => change({ ...node, if: f }, 'if')} />;
}
function EndFields({ node, change, names }: Inner) {
  const t = useT();
  return (
    <TextField
      label={`${t('field.outcome')} ${t('field.optional')}`}
      value={str(node.outcome)}
      options={[...new Set(['converted', 'lost', ...names.outcomes])]}
      help={t('field.outcomeHelp')}
      onChange={(v) => change(set(node, 'outcome', v === '' ? undefined : v), 'outcome')}
    />
  );
}

/** "Then go to" for the plain links: next, yes, no (waits and splits list theirs inline). */
function Branches({
  node,
  targets,
  err,
  onChange,
}: {
  node: PNode;
  targets: Option[];
  err: (path: string) => string | undefined;
  onChange: (n: PNode) => void;
}) {
  const t = useT();
  const simple = branchesOf(node).filter((b) => b.kind === 'next' || b.kind === 'yes' || b.kind === 'no');
  if (simple.length === 0) return null;
  return (
    <fieldset className="group">
      <legend>{t('node.branches')}</legend>
      {simple.map((b) => (
        <TargetSelect
          key={b.handle}
          label={b.kind === 'next' ? t('node.next') : `${t(b.kind === 'yes' ? 'branch.yes' : 'branch.no')} →`}
          value={b.target}
          targets={targets}
          error={err(b.path)}
          onChange={(v) => onChange(set(node, b.handle, v))}
        />
      ))}
    </fieldset>
  );
}

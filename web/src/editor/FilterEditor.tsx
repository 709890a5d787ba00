/**
 * The filter builder: groups (all / any), "if not" on any part, and a form for every leaf
 * of the filter language. A filter it cannot read is shown as JSON, never changed.
 */
import { memo } from 'react';
import { CHANNELS, FILTER_LEAVES, HAS_KINDS, isObject, NUMBER_OPS, OPS, RFM_SEGMENTS, WEEKDAYS } from '../graph/model';
import { type MessageKey, useT } from '../i18n';
import type { Json, JsonObject } from '../types';
import { Check, DaysInput, DurationInput, JsonInput, NumberField, SelectField, TextField, TimeInput, ValueInput } from './fields';

export interface Names {
  events: string[];
  tags: string[];
  lists: string[];
  processes: string[];
  templates: string[];
  funnels: Record<string, string[]>;
  fields: string[];
  outcomes: string[];
}

type Kind = (typeof FILTER_LEAVES)[number] | 'all' | 'any' | 'unknown';

export function filterKind(f: Json | undefined): Kind {
  if (!isObject(f)) return 'unknown';
  if (Array.isArray(f.all) && Object.keys(f).length === 1) return 'all';
  if (Array.isArray(f.any) && Object.keys(f).length === 1) return 'any';
  const leaves = Object.keys(f).filter((k) => (FILTER_LEAVES as readonly string[]).includes(k));
  return leaves.length === 1 ? (leaves[0] as Kind) : 'unknown';
}

export function defaultLeaf(kind: Kind): JsonObject {
  switch (kind) {
    case 'field':
    case 'prop':
      return { [kind]: '', eq: '' };
    case 'var':
      return { var: '', exists: true };
    case 'total_paid':
    case 'score':
      return { [kind]: { gte: 0 } };
    case 'subscribed':
      return { subscribed: 'email' };
    case 'has':
      return { has: 'email' };
    case 'stage':
      return { stage: { funnel: '', eq: '' } };
    case 'rfm':
      return { rfm: 'at_risk' };
    case 'note':
      return { note: { contains: '' } };
    case 'local_time':
      return { local_time: { between: ['09:00', '18:00'] } };
    case 'weekday':
      return { weekday: ['mon'] };
    case 'all':
    case 'any':
      return { [kind]: [{ tag: '' }] };
    default:
      return { [kind]: '' };
  }
}

/** The filter turned into another kind, keeping what can be kept (a group's items). */
export function convertFilter(f: Json | undefined, to: Kind): JsonObject {
  const from = filterKind(f);
  if (to === from && isObject(f)) return f;
  if ((to === 'all' || to === 'any') && isObject(f)) {
    if (from === 'all' || from === 'any') return { [to]: f[from] as Json };
    return { [to]: [f] };
  }
  if ((from === 'all' || from === 'any') && isObject(f)) {
    const items = f[from] as Json[];
    const same = items.find((x) => filterKind(x) === to);
    if (same && isObject(same)) return same;
  }
  return defaultLeaf(to);
}

interface Props {
  value: Json | undefined;
  onChange: (f: Json) => void;
  names: Names;
  label: string;
  depth?: number;
  onRemove?: (() => void) | undefined;
  /** Event properties (`prop`) only make sense on an event: triggers, waits, exit goals. */
  eventContext?: boolean;
}

export const FilterEditor = memo(function FilterEditor({ value, onChange, names, label, depth = 0, onRemove, eventContext = false }: Props) {
  const t = useT();
  const negated = isObject(value) && Object.keys(value).length === 1 && 'not' in value;
  const inner = negated ? (value as JsonObject).not : value;
  const setInner = (f: Json) => onChange(negated ? { not: f } : f);
  const kind = filterKind(inner);
  const kinds: Kind[] = [...FILTER_LEAVES, 'all', 'any'];
  return (
    <fieldset className={`filter depth-${Math.min(depth, 3)}`}>
      <legend>{label}</legend>
      <div className="filter-head">
        <Check label={t('filter.not')} checked={negated} onChange={(on) => onChange(on ? { not: inner ?? null } : (inner ?? null))} />
        <SelectField
          label={t('filter.kind')}
          value={kind === 'unknown' ? '' : kind}
          options={kinds.map((k) => ({ value: k, label: t(`leaf.${k}` as MessageKey) }))}
          onChange={(k) => setInner(convertFilter(inner, k as Kind))}
        />
        {onRemove ? (
          <button type="button" className="link-btn danger-text" onClick={onRemove}>
            {t('filter.removeItem')}
          </button>
        ) : null}
      </div>
      {kind === 'all' || kind === 'any' ? (
        <GroupEditor kind={kind} value={inner as JsonObject} onChange={setInner} names={names} depth={depth} eventContext={eventContext} />
      ) : kind === 'unknown' ? (
        <>
          <p className="help">{t('filter.unknown')}</p>
          <JsonInput label={t('filter.json')} value={inner} onChange={setInner} multiline />
        </>
      ) : (
        <LeafEditor kind={kind} value={inner as JsonObject} onChange={setInner} names={names} depth={depth} />
      )}
    </fieldset>
  );
});

function GroupEditor({
  kind,
  value,
  onChange,
  names,
  depth,
  eventContext,
}: {
  kind: 'all' | 'any';
  value: JsonObject;
  onChange: (f: Json) => void;
  names: Names;
  depth: number;
  eventContext: boolean;
}) {
  const t = useT();
  const items = (value[kind] as Json[]) ?? [];
  const set = (next: Json[]) => onChange({ ...value, [kind]: next });
  return (
    <div className="filter-group">
      <ol className="filter-items">
        {items.map((item, i) => (
          <li key={i}>
            <FilterEditor
              value={item}
              label={`${t(kind === 'all' ? 'sum.and' : 'sum.or')} ${i + 1}`}
              names={names}
              depth={depth + 1}
              eventContext={eventContext}
              onChange={(f) => set(items.map((x, j) => (j === i ? f : x)))}
              onRemove={items.length > 1 ? () => set(items.filter((_, j) => j !== i)) : undefined}
            />
          </li>
        ))}
      </ol>
      <div className="row-buttons">
        <button type="button" onClick={() => set([...items, { tag: '' }])}>
          {t('filter.addCondition')}
        </button>
        {depth < 4 ? (
          <button type="button" onClick={() => set([...items, { [kind === 'all' ? 'any' : 'all']: [{ tag: '' }] }])}>
            {t('filter.addGroup')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

const FIELD_NAMES = ['email', 'phone', 'timezone', 'owner', 'score', 'rfm', 'total_paid', 'created_at'];

function opOf(f: JsonObject): string {
  return Object.keys(f).find((k) => (OPS as readonly string[]).includes(k)) ?? 'eq';
}

function replaceOp(f: JsonObject, oldOp: string, op: string, value: Json): JsonObject {
  const out: JsonObject = {};
  let placed = false;
  for (const [k, v] of Object.entries(f)) {
    if (k === oldOp) {
      out[op] = value;
      placed = true;
    } else if (!(OPS as readonly string[]).includes(k)) out[k] = v;
  }
  if (!placed) out[op] = value;
  return out;
}

function defaultFor(op: string, old: Json | undefined): Json {
  if (op === 'exists') return true;
  if (op === 'in') return Array.isArray(old) ? old : old === undefined || old === '' ? [] : [old];
  if (['gt', 'gte', 'lt', 'lte'].includes(op)) return typeof old === 'number' ? old : 0;
  if (Array.isArray(old) || typeof old === 'boolean') return '';
  return old ?? '';
}

function Comparison({
  value,
  onChange,
  label,
}: {
  value: JsonObject;
  onChange: (f: JsonObject) => void;
  label: string;
}) {
  const t = useT();
  const op = opOf(value);
  const v = value[op];
  return (
    <div className="comparison">
      <SelectField
        label={t('filter.op')}
        value={op}
        options={OPS.map((o) => ({ value: o, label: t(`op.${o}` as MessageKey) }))}
        onChange={(o) => onChange(replaceOp(value, op, o, defaultFor(o, v)))}
      />
      {op === 'exists' ? (
        <SelectField
          label={label}
          value={v === false ? 'false' : 'true'}
          options={[
            { value: 'true', label: t('field.true') },
            { value: 'false', label: t('field.false') },
          ]}
          onChange={(x) => onChange(replaceOp(value, op, op, x === 'true'))}
        />
      ) : op === 'in' ? (
        <JsonInput label={label} value={v} onChange={(x) => onChange(replaceOp(value, op, op, x))} help='["a", "b", 1]' />
      ) : (
        <ValueInput label={label} value={v} onChange={(x) => onChange(replaceOp(value, op, op, x))} />
      )}
    </div>
  );
}

/** `{"gte": 50, "lt": 100}`: rows of operator + number. */
export function NumberComparisons({ value, onChange, label }: { value: Json | undefined; onChange: (v: JsonObject) => void; label: string }) {
  const t = useT();
  const entries = isObject(value) ? Object.entries(value) : [];
  const rebuild = (rows: [string, Json][]) => onChange(Object.fromEntries(rows));
  return (
    <fieldset className="numbers">
      <legend>{label}</legend>
      {entries.map(([op, n], i) => (
        <div className="inline-row" key={i}>
          <SelectField
            label={t('filter.op')}
            value={op}
            options={NUMBER_OPS.map((o) => ({ value: o, label: t(`op.${o}` as MessageKey) }))}
            onChange={(o) => rebuild(entries.map(([k, x], j) => (j === i ? [o, x] : [k, x])))}
          />
          <NumberField
            label={t('field.value')}
            value={typeof n === 'number' ? n : undefined}
            onChange={(x) => rebuild(entries.map(([k, y], j) => (j === i ? [k, x ?? 0] : [k, y])))}
          />
          {entries.length > 1 ? (
            <button type="button" className="icon-btn" aria-label={t('field.remove')} onClick={() => rebuild(entries.filter((_, j) => j !== i))}>
              <span aria-hidden="true">×</span>
            </button>
          ) : null}
        </div>
      ))}
      {entries.length < NUMBER_OPS.length ? (
        <button
          type="button"
          className="link-btn"
          onClick={() => rebuild([...entries, [NUMBER_OPS.find((o) => !entries.some(([k]) => k === o)) ?? 'lt', 0]])}
        >
          {t('filter.addComparison')}
        </button>
      ) : null}
    </fieldset>
  );
}

function withKey(f: JsonObject, key: string, value: Json | undefined): JsonObject {
  if (value === undefined) {
    const copy = { ...f };
    delete copy[key];
    return copy;
  }
  return { ...f, [key]: value };
}

function LeafEditor({
  kind,
  value,
  onChange,
  names,
  depth,
}: {
  kind: Kind;
  value: JsonObject;
  onChange: (f: JsonObject) => void;
  names: Names;
  depth: number;
}) {
  const t = useT();
  const str = (k: string) => (typeof value[k] === 'string' ? (value[k] as string) : '');
  switch (kind) {
    case 'tag':
      return <TextField label={t('field.tag')} value={str('tag')} options={names.tags} onChange={(v) => onChange({ ...value, tag: v })} />;
    case 'list':
      return <TextField label={t('field.list')} value={str('list')} options={names.lists} onChange={(v) => onChange({ ...value, list: v })} />;
    case 'owner':
      return <TextField label={t('field.owner')} value={str('owner')} onChange={(v) => onChange({ ...value, owner: v })} />;
    case 'in_process':
      return (
        <SelectField
          label={t('field.process')}
          value={str('in_process')}
          empty={t('field.choose')}
          options={names.processes.map((p) => ({ value: p, label: p }))}
          onChange={(v) => onChange({ ...value, in_process: v })}
        />
      );
    case 'subscribed':
      return (
        <SelectField
          label={t('filter.channel')}
          value={str('subscribed')}
          options={CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}` as MessageKey) }))}
          onChange={(v) => onChange({ ...value, subscribed: v })}
        />
      );
    case 'has':
      return (
        <SelectField
          label={t('filter.has')}
          value={str('has')}
          options={HAS_KINDS.map((c) => ({ value: c, label: t(`has.${c}` as MessageKey) }))}
          onChange={(v) => onChange({ ...value, has: v })}
        />
      );
    case 'field':
    case 'prop':
    case 'var':
      return (
        <div className="leaf-cmp">
          <TextField
            label={t(`filter.name.${kind}` as MessageKey)}
            value={str(kind)}
            options={kind === 'field' ? [...FIELD_NAMES, ...names.fields] : undefined}
            onChange={(v) => onChange({ ...value, [kind]: v })}
          />
          <Comparison value={value} onChange={onChange} label={t('field.value')} />
        </div>
      );
    case 'total_paid':
    case 'score':
      return <NumberComparisons label={t('filter.comparisons')} value={value[kind]} onChange={(v) => onChange({ ...value, [kind]: v })} />;
    case 'event':
      return (
        <div className="leaf-event">
          <TextField label={t('field.event')} value={str('event')} options={names.events} onChange={(v) => onChange({ ...value, event: v })} />
          <Check label={t('filter.within')} checked={'within' in value} onChange={(on) => onChange(withKey(value, 'within', on ? '7d' : undefined))} />
          {'within' in value ? (
            <DurationInput label={t('filter.within')} value={str('within')} onChange={(v) => onChange({ ...value, within: v })} />
          ) : null}
          <Check label={t('filter.count')} checked={'count' in value} onChange={(on) => onChange(withKey(value, 'count', on ? { gte: 1 } : undefined))} />
          {'count' in value ? (
            <NumberComparisons label={t('filter.count')} value={value.count} onChange={(v) => onChange({ ...value, count: v })} />
          ) : null}
          <Check label={t('filter.sinceRun')} checked={value.since === 'run'} onChange={(on) => onChange(withKey(value, 'since', on ? 'run' : undefined))} />
          <Check
            label={t('filter.eventWhere')}
            checked={'where' in value}
            onChange={(on) => onChange(withKey(value, 'where', on ? { prop: '', eq: '' } : undefined))}
          />
          {'where' in value ? (
            <FilterEditor
              label={t('filter.eventWhere')}
              value={value.where}
              names={names}
              depth={depth + 1}
              eventContext
              onChange={(f) => onChange({ ...value, where: f })}
            />
          ) : null}
        </div>
      );
    case 'stage': {
      const body = isObject(value.stage) ? value.stage : { funnel: '', eq: '' };
      const funnel = typeof body.funnel === 'string' ? body.funnel : '';
      const op = Object.keys(body).find((k) => k !== 'funnel') ?? 'eq';
      const stages = names.funnels[funnel] ?? [];
      return (
        <div className="leaf-stage">
          <TextField
            label={t('field.funnel')}
            value={funnel}
            options={Object.keys(names.funnels)}
            onChange={(v) => onChange({ ...value, stage: { ...body, funnel: v } })}
          />
          <SelectField
            label={t('filter.op')}
            value={op}
            options={(['eq', 'ne', 'in'] as const).map((o) => ({ value: o, label: t(`op.${o}` as MessageKey) }))}
            onChange={(o) => onChange({ ...value, stage: replaceOp(body, op, o, defaultFor(o, body[op])) })}
          />
          {op === 'in' ? (
            <JsonInput label={t('field.stage')} value={body[op]} onChange={(v) => onChange({ ...value, stage: { ...body, [op]: v } })} />
          ) : (
            <TextField
              label={t('field.stage')}
              value={typeof body[op] === 'string' ? (body[op] as string) : ''}
              options={stages}
              onChange={(v) => onChange({ ...value, stage: { ...body, [op]: v } })}
            />
          )}
        </div>
      );
    }
    case 'rfm': {
      const chosen = typeof value.rfm === 'string' ? [value.rfm] : Array.isArray(value.rfm) ? (value.rfm as string[]) : [];
      return (
        <fieldset className="checks">
          <legend>{t('filter.segments')}</legend>
          {RFM_SEGMENTS.map((s) => (
            <Check
              key={s}
              label={t(`rfm.${s}` as MessageKey)}
              checked={chosen.includes(s)}
              onChange={(on) => {
                const next = on ? RFM_SEGMENTS.filter((x) => x === s || chosen.includes(x)) : chosen.filter((x) => x !== s);
                onChange({ ...value, rfm: next.length === 1 && typeof value.rfm === 'string' ? (next[0] as string) : next });
              }}
            />
          ))}
        </fieldset>
      );
    }
    case 'note': {
      const body = isObject(value.note) ? value.note : {};
      return (
        <TextField
          label={t('filter.contains')}
          value={typeof body.contains === 'string' ? body.contains : ''}
          onChange={(v) => onChange({ ...value, note: { ...body, contains: v } })}
        />
      );
    }
    case 'local_time': {
      const between = isObject(value.local_time) && Array.isArray(value.local_time.between) ? value.local_time.between : ['', ''];
      const set = (i: number, v: string) => onChange({ ...value, local_time: { between: between.map((x, j) => (j === i ? v : x)) } });
      return (
        <div className="inline-row">
          <TimeInput label={t('filter.from')} value={String(between[0] ?? '')} onChange={(v) => set(0, v)} />
          <TimeInput label={t('filter.to')} value={String(between[1] ?? '')} onChange={(v) => set(1, v)} />
        </div>
      );
    }
    case 'weekday': {
      const days = typeof value.weekday === 'string' ? [value.weekday] : Array.isArray(value.weekday) ? (value.weekday as string[]) : [];
      return (
        <DaysInput
          label={t('leaf.weekday')}
          value={days.filter((d) => (WEEKDAYS as readonly string[]).includes(d))}
          onChange={(v) => onChange({ ...value, weekday: v })}
        />
      );
    }
    default:
      return null;
  }
}

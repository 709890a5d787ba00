/** Labelled form controls for the node forms: text, choice, number, JSON value, duration,
 * time of day, weekdays, timezone, and the "go to step" link chooser. */
import { type ReactNode, useEffect, useId, useMemo, useState } from 'react';
import { DURATION_UNITS, joinDuration, splitDuration, WEEKDAYS } from '../graph/model';
import { type MessageKey, useT } from '../i18n';
import type { Json } from '../types';

export interface Option {
  value: string;
  label: string;
}

export function Field({
  label,
  children,
  help,
  error,
  id,
}: {
  label: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
  help?: string | undefined;
  error?: string | undefined;
  id?: string;
}) {
  const auto = useId();
  const fid = id ?? auto;
  const helpId = help ? `${fid}-help` : undefined;
  const errId = error ? `${fid}-err` : undefined;
  const describedBy = [helpId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      {children(fid, describedBy)}
      {help ? (
        <p className="help" id={helpId}>
          {help}
        </p>
      ) : null}
      {error ? (
        <p className="error-text" id={errId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  value,
  onChange,
  options,
  placeholder,
  help,
  error,
  type = 'text',
  multiline = false,
  required = false,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options?: readonly string[] | undefined;
  placeholder?: string | undefined;
  help?: string | undefined;
  error?: string | undefined;
  type?: string;
  multiline?: boolean;
  required?: boolean;
}) {
  const listId = useId();
  return (
    <Field label={label} help={help} error={error}>
      {(id, describedBy) =>
        multiline ? (
          <textarea
            id={id}
            value={value}
            rows={3}
            placeholder={placeholder}
            aria-describedby={describedBy}
            aria-invalid={error ? true : undefined}
            onChange={(e) => onChange(e.target.value)}
          />
        ) : (
          <>
            <input
              id={id}
              type={type}
              value={value}
              placeholder={placeholder}
              list={options && options.length > 0 ? listId : undefined}
              aria-describedby={describedBy}
              aria-invalid={error ? true : undefined}
              aria-required={required || undefined}
              autoComplete="off"
              onChange={(e) => onChange(e.target.value)}
            />
            {options && options.length > 0 ? (
              <datalist id={listId}>
                {options.map((o) => (
                  <option key={o} value={o} />
                ))}
              </datalist>
            ) : null}
          </>
        )
      }
    </Field>
  );
}

export function SelectField({
  label,
  value,
  options,
  onChange,
  empty,
  help,
  error,
}: {
  label: string;
  value: string;
  options: Option[];
  onChange: (v: string) => void;
  /** Label of the "" choice; without it there is none (unless value is not an option). */
  empty?: string | undefined;
  help?: string | undefined;
  error?: string | undefined;
}) {
  const known = options.some((o) => o.value === value);
  return (
    <Field label={label} help={help} error={error}>
      {(id, describedBy) => (
        <select
          id={id}
          value={value}
          aria-describedby={describedBy}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.target.value)}
        >
          {empty !== undefined ? <option value="">{empty}</option> : null}
          {!known && value !== '' ? <option value={value}>{value}</option> : null}
          {!known && value === '' && empty === undefined ? <option value="">—</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function NumberField({
  label,
  value,
  onChange,
  min,
  step,
  error,
}: {
  label: string;
  value: number | undefined;
  onChange: (v: number | undefined) => void;
  min?: number;
  step?: number | 'any';
  error?: string | undefined;
}) {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    if (Number(text) !== value || text === '') setText(value === undefined ? '' : String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <Field label={label} error={error}>
      {(id, describedBy) => (
        <input
          id={id}
          type="number"
          inputMode="decimal"
          value={text}
          min={min}
          step={step ?? 'any'}
          aria-describedby={describedBy}
          onChange={(e) => {
            setText(e.target.value);
            const n = e.target.valueAsNumber;
            onChange(Number.isFinite(n) ? n : undefined);
          }}
        />
      )}
    </Field>
  );
}

/** Any JSON value, typed as text. */
export function JsonInput({
  label,
  value,
  onChange,
  multiline = false,
  help,
}: {
  label: string;
  value: Json | undefined;
  onChange: (v: Json) => void;
  multiline?: boolean;
  help?: string | undefined;
}) {
  const t = useT();
  const shown = value === undefined ? '' : JSON.stringify(value, null, multiline ? 2 : undefined);
  const [text, setText] = useState(shown);
  const [bad, setBad] = useState(false);
  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
    } catch {
      same = false;
    }
    if (!same) {
      setText(shown);
      setBad(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shown]);
  const change = (s: string) => {
    setText(s);
    try {
      const v = JSON.parse(s) as Json;
      setBad(false);
      onChange(v);
    } catch {
      setBad(true);
    }
  };
  return (
    <Field label={label} help={help} error={bad ? t('field.jsonInvalid') : undefined}>
      {(id, describedBy) =>
        multiline ? (
          <textarea
            id={id}
            className="mono"
            rows={4}
            value={text}
            spellCheck={false}
            aria-describedby={describedBy}
            onChange={(e) => change(e.target.value)}
          />
        ) : (
          <input
            id={id}
            className="mono"
            value={text}
            spellCheck={false}
            aria-describedby={describedBy}
            onChange={(e) => change(e.target.value)}
          />
        )
      }
    </Field>
  );
}

type ValueKind = 'text' | 'number' | 'bool' | 'json';

function kindOf(v: Json | undefined): ValueKind {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string' || v === undefined) return 'text';
  return 'json';
}

/** A value that may be text, a number, true/false or any JSON. */
export function ValueInput({ label, value, onChange }: { label: string; value: Json | undefined; onChange: (v: Json) => void }) {
  const t = useT();
  const [kind, setKind] = useState<ValueKind>(kindOf(value));
  useEffect(() => setKind(kindOf(value)), [value]);
  const kinds: ValueKind[] = ['text', 'number', 'bool', 'json'];
  const setTo = (k: ValueKind) => {
    setKind(k);
    if (k === 'text') onChange(value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));
    if (k === 'number') onChange(Number(value) || 0);
    if (k === 'bool') onChange(value === true || value === 'true');
    if (k === 'json') onChange(value ?? null);
  };
  return (
    <div className="value-input">
      <SelectField
        label={t('field.valueKind')}
        value={kind}
        options={kinds.map((k) => ({ value: k, label: t(`field.kind.${k}` as MessageKey) }))}
        onChange={(v) => setTo(v as ValueKind)}
      />
      {kind === 'text' ? <TextField label={label} value={typeof value === 'string' ? value : ''} onChange={onChange} /> : null}
      {kind === 'number' ? (
        <NumberField label={label} value={typeof value === 'number' ? value : undefined} onChange={(n) => onChange(n ?? 0)} />
      ) : null}
      {kind === 'bool' ? (
        <SelectField
          label={label}
          value={value === true ? 'true' : 'false'}
          options={[
            { value: 'true', label: t('field.true') },
            { value: 'false', label: t('field.false') },
          ]}
          onChange={(v) => onChange(v === 'true')}
        />
      ) : null}
      {kind === 'json' ? <JsonInput label={label} value={value} onChange={onChange} /> : null}
    </div>
  );
}

/** A duration as amount + unit rows (`1d12h` → 1 days, 12 hours); `signed` adds before/after. */
export function DurationInput({
  label,
  value,
  onChange,
  signed = false,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  signed?: boolean;
  error?: string | undefined;
}) {
  const t = useT();
  const gid = useId();
  const parsed = splitDuration(value, signed);
  if (!parsed) {
    return (
      <TextField
        label={label}
        value={value}
        onChange={onChange}
        placeholder="1d12h"
        error={error ?? (value.trim() ? t('duration.invalid') : undefined)}
      />
    );
  }
  const parts = parsed.parts.length > 0 ? parsed.parts : [{ n: 1, unit: 'd' }];
  const set = (next: typeof parts, sign = parsed.sign) => onChange(joinDuration({ sign, parts: next }));
  return (
    <fieldset className={`duration${error ? ' invalid' : ''}`} aria-describedby={error ? `${gid}-err` : undefined}>
      <legend>{label}</legend>
      {signed ? (
        <select
          aria-label={t('duration.sign')}
          value={parsed.sign === '-' ? '-' : '+'}
          onChange={(e) => set(parts, e.target.value === '-' ? '-' : parsed.sign === '' ? '' : '+')}
        >
          <option value="-">{t('duration.before')}</option>
          <option value="+">{t('duration.after')}</option>
        </select>
      ) : null}
      {parts.map((p, i) => (
        <span className="duration-part" key={i}>
          <input
            type="number"
            inputMode="numeric"
            min={0}
            step={1}
            aria-label={`${t('duration.amount')} ${i + 1}`}
            value={p.n}
            onChange={(e) => {
              const n = Math.max(0, Math.floor(e.target.valueAsNumber || 0));
              set(parts.map((q, j) => (j === i ? { ...q, n } : q)));
            }}
          />
          <select
            aria-label={`${t('duration.unit')} ${i + 1}`}
            value={p.unit}
            onChange={(e) => set(parts.map((q, j) => (j === i ? { ...q, unit: e.target.value } : q)))}
          >
            {DURATION_UNITS.map((u) => (
              <option key={u} value={u}>
                {t(`unit.${u}` as MessageKey)}
              </option>
            ))}
          </select>
          {parts.length > 1 ? (
            <button type="button" className="icon-btn" aria-label={`${t('field.remove')} ${i + 1}`} onClick={() => set(parts.filter((_, j) => j !== i))}>
              <span aria-hidden="true">×</span>
            </button>
          ) : null}
        </span>
      ))}
      {parts.length < 5 ? (
        <button type="button" className="link-btn" onClick={() => set([...parts, { n: 0, unit: nextUnit(parts) }])}>
          {t('duration.addPart')}
        </button>
      ) : null}
      {error ? (
        <p className="error-text" id={`${gid}-err`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function nextUnit(parts: { unit: string }[]): string {
  const order = ['w', 'd', 'h', 'm', 's'];
  const last = parts[parts.length - 1]?.unit ?? 'd';
  return order[Math.min(order.indexOf(last) + 1, order.length - 1)] ?? 'h';
}

export function TimeInput({ label, value, onChange, error }: { label: string; value: string; onChange: (v: string) => void; error?: string | undefined }) {
  return (
    <Field label={label} error={error}>
      {(id, describedBy) => (
        <input id={id} type="time" step={60} value={value} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

export function DaysInput({ label, value, onChange }: { label: string; value: readonly string[]; onChange: (v: string[]) => void }) {
  const t = useT();
  return (
    <fieldset className="days">
      <legend>{label}</legend>
      {WEEKDAYS.map((d) => (
        <label key={d} className="check">
          <input
            type="checkbox"
            checked={value.includes(d)}
            onChange={(e) => onChange(e.target.checked ? WEEKDAYS.filter((x) => x === d || value.includes(x)) : value.filter((x) => x !== d))}
          />
          {t(`day.${d}` as MessageKey)}
        </label>
      ))}
    </fieldset>
  );
}

export function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}

let zones: string[] | null = null;
export function timezones(): string[] {
  if (zones) return zones;
  try {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  return zones;
}

/** "Go to" chooser: the ids of the process's steps (triggers excluded). */
export function TargetSelect({
  label,
  value,
  targets,
  onChange,
  error,
}: {
  label: string;
  value: string | undefined;
  targets: Option[];
  onChange: (id: string | undefined) => void;
  error?: string | undefined;
}) {
  const t = useT();
  return (
    <SelectField
      label={label}
      value={value ?? ''}
      options={targets}
      empty={t('node.notLinked')}
      error={error}
      onChange={(v) => onChange(v === '' ? undefined : v)}
    />
  );
}

export function useOptions(values: readonly string[], label: (v: string) => string): Option[] {
  return useMemo(() => values.map((v) => ({ value: v, label: label(v) })), [values, label]);
}

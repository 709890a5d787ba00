/** The form fields of the flow steps: wait (events, timeout), delay (for / until a time of
 * day / until a moment) and split (branches, winner). */
import { isObject } from '../graph/model';
import { useT } from '../i18n';
import type { Json, JsonObject, PNode } from '../types';
import { Check, DaysInput, DurationInput, NumberField, SelectField, TargetSelect, TextField, TimeInput, timezones } from './fields';
import { FilterEditor } from './FilterEditor';
import { eventOptions, type Inner, set, str, tidy } from './formUtils';

export function WaitFields({ node, change, err, names, targets }: Inner) {
  const t = useT();
  const items = Array.isArray(node.for) ? (node.for as Json[]) : [];
  const setItems = (next: Json[]) => change({ ...node, for: next }, 'for');
  const setItem = (i: number, item: JsonObject) => setItems(items.map((x, j) => (j === i ? item : x)));
  const hasTimeout = 'timeout' in node || 'on_timeout' in node;
  return (
    <>
      <fieldset className="group">
        <legend>{t('wait.events')}</legend>
        <ol className="plain-list">
          {items.map((raw, i) => {
            const item = isObject(raw) ? raw : {};
            return (
              <li key={i} className="sub-item">
                <TextField
                  label={t('wait.eventN', { n: i + 1 })}
                  value={str(item.event)}
                  options={eventOptions(names)}
                  error={err(`for[${i}].event`)}
                  onChange={(v) => setItem(i, { ...item, event: v })}
                />
                <Check
                  label={t('field.where')}
                  checked={'where' in item}
                  onChange={(on) => {
                    const copy: JsonObject = {};
                    for (const [k, v] of Object.entries(item)) if (k !== 'next' && k !== 'where') copy[k] = v;
                    if (on) copy.where = { prop: '', eq: '' };
                    if ('next' in item) copy.next = item.next as Json;
                    setItem(i, copy);
                  }}
                />
                {'where' in item ? (
                  <FilterEditor label={t('field.where')} value={item.where} names={names} eventContext onChange={(f) => setItem(i, { ...item, where: f })} />
                ) : null}
                <TargetSelect
                  label={t('node.next')}
                  value={typeof item.next === 'string' ? item.next : undefined}
                  targets={targets}
                  error={err(`for[${i}].next`)}
                  onChange={(v) => {
                    const copy = { ...item };
                    if (v === undefined) delete copy.next;
                    else copy.next = v;
                    setItem(i, copy);
                  }}
                />
                {items.length > 1 ? (
                  <button type="button" className="link-btn danger-text" onClick={() => setItems(items.filter((_, j) => j !== i))}>
                    {t('field.remove')} {t('wait.eventN', { n: i + 1 })}
                  </button>
                ) : null}
              </li>
            );
          })}
        </ol>
        <button type="button" onClick={() => setItems([...items, { event: '' }])}>
          {t('wait.addEvent')}
        </button>
      </fieldset>
      <Check
        label={t('wait.timeout')}
        checked={hasTimeout}
        onChange={(on) => {
          let n = set(set(node, 'timeout', undefined), 'on_timeout', undefined);
          if (on) n = { ...n, timeout: '1d' };
          change(n, 'timeout');
        }}
      />
      {hasTimeout ? (
        <>
          <DurationInput label={t('wait.after')} value={str(node.timeout)} error={err('timeout')} onChange={(v) => change({ ...node, timeout: v }, 'timeout')} />
          <TargetSelect
            label={t('wait.onTimeout')}
            value={typeof node.on_timeout === 'string' ? node.on_timeout : undefined}
            targets={targets}
            error={err('on_timeout')}
            onChange={(v) => change(set(node, 'on_timeout', v), 'on_timeout')}
          />
        </>
      ) : null}
    </>
  );
}

type DelayMode = 'for' | 'until_time' | 'until';

export function DelayFields({ node, change, err, processTimezone }: Inner) {
  const t = useT();
  const mode: DelayMode = 'until_time' in node ? 'until_time' : 'until' in node ? 'until' : 'for';
  const setMode = (m: DelayMode) => {
    const base: PNode = { type: 'delay' };
    if (m === 'for') base.for = '1d';
    if (m === 'until_time') base.until_time = '10:00';
    if (m === 'until') base.until = '{{ vars.NAME }}';
    if ('next' in node) base.next = node.next;
    change(base, 'mode');
  };
  const tz = node.timezone;
  const tzMode = tz === undefined ? 'process' : tz === 'contact' ? 'contact' : 'other';
  return (
    <>
      <fieldset className="radios">
        <legend>{t('delay.mode')}</legend>
        {(['for', 'until_time', 'until'] as const).map((m) => (
          <label key={m} className="check">
            <input type="radio" name="delay-mode" checked={mode === m} onChange={() => setMode(m)} />
            {t(`delay.${m}`)}
          </label>
        ))}
      </fieldset>
      {mode === 'for' ? (
        <DurationInput label={t('delay.duration')} value={str(node.for)} error={err('for')} onChange={(v) => change({ ...node, for: v }, 'for')} />
      ) : null}
      {mode === 'until_time' ? (
        <>
          <TimeInput label={t('delay.time')} value={str(node.until_time)} error={err('until_time')} onChange={(v) => change({ ...node, until_time: v }, 'until_time')} />
          <Check
            label={t('delay.days')}
            checked={'days' in node}
            onChange={(on) => change(tidy(set(node, 'days', on ? ['mon', 'tue', 'wed', 'thu', 'fri'] : undefined)), 'days')}
          />
          {'days' in node ? (
            <DaysInput label={t('delay.days')} value={Array.isArray(node.days) ? (node.days as string[]) : []} onChange={(d) => change({ ...node, days: d }, 'days')} />
          ) : null}
          <SelectField
            label={t('delay.timezone')}
            value={tzMode}
            options={[
              { value: 'process', label: t('delay.tzProcess', { tz: processTimezone }) },
              { value: 'contact', label: t('delay.tzContact') },
              { value: 'other', label: t('delay.tzOther') },
            ]}
            onChange={(v) =>
              change(tidy(set(node, 'timezone', v === 'process' ? undefined : v === 'contact' ? 'contact' : processTimezone)), 'timezone')
            }
          />
          {tzMode === 'other' ? (
            <TextField label={t('delay.tzOther')} value={str(tz)} options={timezones()} error={err('timezone')} onChange={(v) => change({ ...node, timezone: v }, 'timezone')} />
          ) : null}
        </>
      ) : null}
      {mode === 'until' ? (
        <>
          <TextField label={t('delay.untilValue')} value={str(node.until)} error={err('until')} onChange={(v) => change({ ...node, until: v }, 'until')} />
          <Check label={t('delay.useOffset')} checked={'offset' in node} onChange={(on) => change(tidy(set(node, 'offset', on ? '-1h' : undefined)), 'offset')} />
          {'offset' in node ? (
            <DurationInput label={t('delay.offset')} signed value={str(node.offset)} error={err('offset')} onChange={(v) => change({ ...node, offset: v }, 'offset')} />
          ) : null}
        </>
      ) : null}
    </>
  );
}

export function SplitFields({ node, change, err, names, targets }: Inner) {
  const t = useT();
  const items = Array.isArray(node.branches) ? (node.branches as Json[]) : [];
  const setItems = (next: Json[]) => change({ ...node, branches: next }, 'branches');
  const winner = isObject(node.winner) ? node.winner : null;
  const by = winner ? str(winner.by) : '';
  const byOutcome = by.startsWith('outcome:');
  const setWinner = (w: JsonObject | undefined) => change(set(node, 'winner', w), 'winner');
  return (
    <>
      <fieldset className="group">
        <legend>{t('split.branches')}</legend>
        <ol className="plain-list">
          {items.map((raw, i) => {
            const item = isObject(raw) ? raw : {};
            return (
              <li key={i} className="sub-item inline-row">
                <NumberField
                  label={`${t('split.branchN', { n: i + 1 })}: ${t('split.weight')}`}
                  value={typeof item.weight === 'number' ? item.weight : undefined}
                  min={0}
                  error={err(`branches[${i}].weight`)}
                  onChange={(v) => setItems(items.map((x, j) => (j === i ? { ...item, weight: v ?? 0 } : x)))}
                />
                <TargetSelect
                  label={t('node.next')}
                  value={typeof item.next === 'string' ? item.next : undefined}
                  targets={targets}
                  error={err(`branches[${i}].next`)}
                  onChange={(v) => {
                    const copy = { ...item };
                    if (v === undefined) delete copy.next;
                    else copy.next = v;
                    setItems(items.map((x, j) => (j === i ? copy : x)));
                  }}
                />
                {items.length > 2 ? (
                  <button type="button" className="icon-btn" aria-label={`${t('field.remove')} ${t('split.branchN', { n: i + 1 })}`} onClick={() => setItems(items.filter((_, j) => j !== i))}>
                    <span aria-hidden="true">×</span>
                  </button>
                ) : null}
              </li>
            );
          })}
        </ol>
        <button type="button" onClick={() => setItems([...items, { weight: 50 }])}>
          {t('split.addBranch')}
        </button>
      </fieldset>
      <Check label={t('split.winner')} checked={winner !== null} onChange={(on) => setWinner(on ? { by: 'email.clicked', after: '7d' } : undefined)} />
      {winner ? (
        <fieldset className="group">
          <legend>{t('split.winner')}</legend>
          <SelectField
            label={t('split.winnerBy')}
            value={byOutcome ? 'outcome' : 'event'}
            options={[
              { value: 'event', label: t('split.byEvent') },
              { value: 'outcome', label: t('split.byOutcome') },
            ]}
            onChange={(v) => setWinner({ ...winner, by: v === 'outcome' ? 'outcome:converted' : 'email.clicked' })}
          />
          {byOutcome ? (
            <TextField
              label={t('split.winnerOutcome')}
              value={by.slice('outcome:'.length)}
              options={names.outcomes}
              error={err('winner.by')}
              onChange={(v) => setWinner({ ...winner, by: `outcome:${v}` })}
            />
          ) : (
            <TextField label={t('split.winnerEvent')} value={by} options={eventOptions(names)} error={err('winner.by')} onChange={(v) => setWinner({ ...winner, by: v })} />
          )}
          <SelectField
            label={t('split.after')}
            value={typeof winner.after === 'number' ? 'runs' : 'time'}
            options={[
              { value: 'time', label: t('split.afterTime') },
              { value: 'runs', label: t('split.afterRuns') },
            ]}
            onChange={(v) => setWinner({ ...winner, after: v === 'runs' ? 1000 : '7d' })}
          />
          {typeof winner.after === 'number' ? (
            <NumberField label={t('split.runs')} value={winner.after} min={1} step={1} error={err('winner.after')} onChange={(v) => setWinner({ ...winner, after: v ?? 1 })} />
          ) : (
            <DurationInput label={t('split.after')} value={str(winner.after)} error={err('winner.after')} onChange={(v) => setWinner({ ...winner, after: v })} />
          )}
        </fieldset>
      ) : null}
    </>
  );
}

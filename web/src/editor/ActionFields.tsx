/** The form fields of an action step: one set per `do`. */
import { ACTION_NAMES, HTTP_METHODS, isObject } from '../graph/model';
import { changeAction } from '../graph/ops';
import { type MessageKey, useT } from '../i18n';
import type { Json, JsonObject } from '../types';
import { Check, DaysInput, DurationInput, JsonInput, NumberField, SelectField, TextField, TimeInput, ValueInput } from './fields';
import { type Inner, set, str, tidy } from './formUtils';

export function ActionFields({ node, change, err, names }: Inner) {
  const t = useT();
  const doName = str(node.do);
  const param = (key: string) => ({
    value: str(node[key]),
    error: err(key),
    onChange: (v: string) => change({ ...node, [key]: v }, key),
  });
  const templateOptions = names.templates.map((n) => ({ value: n, label: n }));
  const processOptions = names.processes.map((n) => ({ value: n, label: n }));
  return (
    <>
      <SelectField
        label={t('field.do')}
        value={doName}
        options={ACTION_NAMES.map((a) => ({ value: a, label: t(`action.${a}` as MessageKey) }))}
        error={err('do')}
        onChange={(v) => change(changeAction(node, v), 'do')}
      />
      {doName === 'add_tag' || doName === 'remove_tag' ? <TextField label={t('field.tag')} options={names.tags} {...param('tag')} /> : null}
      {doName === 'add_to_list' || doName === 'remove_from_list' ? (
        <TextField label={t('field.list')} options={names.lists} {...param('list')} />
      ) : null}
      {doName === 'set_field' ? (
        <>
          <TextField label={t('field.field')} options={names.fields} {...param('field')} />
          <ValueInput label={t('field.value')} value={node.value} onChange={(v) => change({ ...node, value: v }, 'value')} />
        </>
      ) : null}
      {doName === 'change_score' ? (
        <NumberField
          label={t('field.by')}
          value={typeof node.by === 'number' ? node.by : undefined}
          step={1}
          error={err('by')}
          onChange={(v) => change({ ...node, by: v ?? 0 }, 'by')}
        />
      ) : null}
      {doName === 'set_var' ? <SetVarFields node={node} change={change} err={err} /> : null}
      {doName === 'send_email' || doName === 'send_sms' ? (
        templateOptions.length > 0 ? (
          <SelectField label={t('field.template')} options={templateOptions} empty={t('field.choose')} {...param('template')} />
        ) : (
          // No catalogue (it failed to load): free text.
          <TextField label={t('field.template')} {...param('template')} />
        )
      ) : null}
      {doName === 'webhook' ? (
        <>
          <TextField label={t('field.url')} type="url" placeholder="https://" {...param('url')} />
          <SelectField
            label={t('field.method')}
            value={str(node.method)}
            empty={t('field.methodDefault')}
            options={HTTP_METHODS.map((m) => ({ value: m, label: m }))}
            onChange={(v) => change(tidy(set(node, 'method', v === '' ? undefined : v)), 'method')}
          />
          <Check label={t('field.body')} checked={'body' in node} onChange={(on) => change(tidy(set(node, 'body', on ? {} : undefined)), 'body')} />
          {'body' in node ? (
            <JsonInput label={t('field.body')} value={node.body} multiline onChange={(v) => change({ ...node, body: v }, 'body')} />
          ) : null}
          <Check
            label={t('field.headers')}
            checked={'headers' in node}
            onChange={(on) => change(tidy(set(node, 'headers', on ? {} : undefined)), 'headers')}
          />
          {'headers' in node ? (
            <JsonInput label={t('field.headers')} value={node.headers} multiline onChange={(v) => change({ ...node, headers: v }, 'headers')} />
          ) : null}
        </>
      ) : null}
      {doName === 'start_process' || doName === 'stop_process' ? (
        processOptions.length > 0 ? (
          <SelectField label={t('field.process')} options={processOptions} empty={t('field.choose')} {...param('process')} />
        ) : (
          <TextField label={t('field.process')} {...param('process')} />
        )
      ) : null}
      {doName === 'add_note' ? <TextField label={t('field.text')} multiline {...param('text')} /> : null}
      {doName === 'set_owner' ? <TextField label={t('field.owner')} {...param('owner')} /> : null}
      {doName === 'set_stage' ? (
        <>
          <TextField label={t('field.funnel')} options={Object.keys(names.funnels)} {...param('funnel')} />
          <TextField label={t('field.stage')} options={names.funnels[str(node.funnel)] ?? []} {...param('stage')} />
        </>
      ) : null}
    </>
  );
}

function SetVarFields({ node, change, err }: Pick<Inner, 'node' | 'change' | 'err'>) {
  const t = useT();
  const value = node.value;
  const slot = isObject(value) && 'next_slot' in value;
  const sv = slot ? (value as JsonObject) : null;
  const slots = sv && Array.isArray(sv.next_slot) ? (sv.next_slot as Json[]).map((x) => str(x)) : [];
  const setSlot = (next: JsonObject) => change({ ...node, value: next }, 'value');
  return (
    <>
      <TextField label={t('field.name')} value={str(node.name)} error={err('name')} onChange={(v) => change({ ...node, name: v }, 'name')} />
      <SelectField
        label={t('setvar.mode')}
        value={slot ? 'slot' : 'plain'}
        options={[
          { value: 'plain', label: t('setvar.plain') },
          { value: 'slot', label: t('setvar.slot') },
        ]}
        onChange={(v) => change({ ...node, value: v === 'slot' ? { next_slot: ['11:00', '20:00'], min_lead: '1h' } : '' }, 'value')}
      />
      {sv ? (
        <>
          <fieldset className="slots">
            <legend>{t('setvar.slots')}</legend>
            {slots.map((s, i) => (
              <div className="inline-row" key={i}>
                <TimeInput
                  label={`${t('delay.time')} ${i + 1}`}
                  value={s}
                  onChange={(v) => setSlot({ ...sv, next_slot: slots.map((x, j) => (j === i ? v : x)) })}
                />
                {slots.length > 1 ? (
                  <button type="button" className="icon-btn" aria-label={`${t('field.remove')} ${i + 1}`} onClick={() => setSlot({ ...sv, next_slot: slots.filter((_, j) => j !== i) })}>
                    <span aria-hidden="true">×</span>
                  </button>
                ) : null}
              </div>
            ))}
            <button type="button" className="link-btn" onClick={() => setSlot({ ...sv, next_slot: [...slots, '12:00'] })}>
              {t('setvar.addSlot')}
            </button>
            {err('value.next_slot') ? <p className="error-text">{err('value.next_slot')}</p> : null}
          </fieldset>
          <DurationInput
            label={t('setvar.minLead')}
            value={str(sv.min_lead) || '0m'}
            error={err('value.min_lead')}
            onChange={(v) => setSlot({ ...sv, min_lead: v })}
          />
          <Check label={t('delay.days')} checked={'days' in sv} onChange={(on) => {
            const copy = { ...sv };
            if (on) copy.days = ['mon', 'tue', 'wed', 'thu', 'fri'];
            else delete copy.days;
            setSlot(copy);
          }} />
          {'days' in sv ? (
            <DaysInput label={t('delay.days')} value={Array.isArray(sv.days) ? (sv.days as string[]) : []} onChange={(d) => setSlot({ ...sv, days: d })} />
          ) : null}
        </>
      ) : (
        <ValueInput label={t('field.value')} value={value} onChange={(v) => change({ ...node, value: v }, 'value')} />
      )}
    </>
  );
}

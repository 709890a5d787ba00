/** The process-level form (shown when no step is selected): name, description, runs per
 * contact, timezone and goal events (`exit_on`). */
import { memo } from 'react';
import { KNOWN_EVENTS } from '../graph/model';
import { setDocKey } from '../graph/ops';
import { type MessageKey, useT } from '../i18n';
import { type JsonObject, type ProcessDoc, REENTRY } from '../types';
import { Check, SelectField, TextField, timezones } from './fields';
import { FilterEditor, type Names } from './FilterEditor';

export const ProcessSettings = memo(function ProcessSettings({
  doc,
  onChange,
  names,
  errors,
  readOnly,
}: {
  doc: ProcessDoc;
  onChange: (doc: ProcessDoc, key: string) => void;
  names: Names;
  errors: Map<string, string[]>;
  readOnly: boolean;
}) {
  const t = useT();
  const err = (path: string) => errors.get(path)?.join(' ');
  const exits = doc.exit_on ?? [];
  const setExits = (next: JsonObject[]) => onChange(setDocKey(doc, 'exit_on', next.length === 0 && !('exit_on' in doc) ? undefined : next), 'exit_on');
  const events = [...new Set([...names.events, ...KNOWN_EVENTS])];
  return (
    <div className="settings-form">
      <h2 className="panel-title">{t('settings.title')}</h2>
      <fieldset className="plain" disabled={readOnly}>
        <TextField label={t('settings.name')} value={doc.name ?? ''} error={err('$.name')} onChange={(v) => onChange(setDocKey(doc, 'name', v), 'name')} />
        <TextField
          label={`${t('settings.description')} ${t('field.optional')}`}
          value={typeof doc.description === 'string' ? doc.description : ''}
          multiline
          onChange={(v) => onChange(setDocKey(doc, 'description', v === '' ? undefined : v), 'description')}
        />
        <SelectField
          label={t('settings.reentry')}
          value={doc.reentry ?? 'if_not_active'}
          help={t('reentry.help')}
          error={err('$.reentry')}
          options={REENTRY.map((r) => ({ value: r, label: t(`reentry.${r}` as MessageKey) }))}
          onChange={(v) => onChange(setDocKey(doc, 'reentry', v), 'reentry')}
        />
        <TextField
          label={t('settings.timezone')}
          value={typeof doc.timezone === 'string' ? doc.timezone : ''}
          placeholder="UTC"
          options={timezones()}
          help={t('settings.timezoneHelp')}
          error={err('$.timezone')}
          onChange={(v) => onChange(setDocKey(doc, 'timezone', v === '' ? undefined : v), 'timezone')}
        />
        <fieldset className="group">
          <legend>{t('settings.exitOn')}</legend>
          <ol className="plain-list">
            {exits.map((ex, i) => (
              <li key={i} className="sub-item">
                <TextField
                  label={`${t('field.event')} ${i + 1}`}
                  value={typeof ex.event === 'string' ? ex.event : ''}
                  options={events}
                  error={err(`$.exit_on[${i}].event`)}
                  onChange={(v) => setExits(exits.map((x, j) => (j === i ? { ...x, event: v } : x)))}
                />
                <Check
                  label={t('field.where')}
                  checked={'where' in ex}
                  onChange={(on) =>
                    setExits(
                      exits.map((x, j) => {
                        if (j !== i) return x;
                        const copy = { ...x };
                        if (on) copy.where = { prop: '', eq: '' };
                        else delete copy.where;
                        return copy;
                      }),
                    )
                  }
                />
                {'where' in ex ? (
                  <FilterEditor
                    label={t('field.where')}
                    value={ex.where}
                    names={names}
                    eventContext
                    onChange={(f) => setExits(exits.map((x, j) => (j === i ? { ...x, where: f } : x)))}
                  />
                ) : null}
                <button type="button" className="link-btn danger-text" onClick={() => setExits(exits.filter((_, j) => j !== i))}>
                  {t('field.remove')}
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setExits([...exits, { event: '' }])}>
            {t('settings.addExit')}
          </button>
        </fieldset>
      </fieldset>
    </div>
  );
});

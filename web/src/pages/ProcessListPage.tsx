/**
 * The process list: name (rename in place), on/off, version, runs per contact, triggers,
 * entered / in process / completed by outcome / exited, last activity; export, reset
 * statistics and delete (both confirmed, saying what is lost); new process, create from a
 * template, import a file.
 */
import { memo, type ChangeEvent, useCallback, useEffect, useMemo, useState } from 'react';
import * as api from '../api';
import { ApiError } from '../api';
import { Outcomes } from '../components/Outcomes';
import { ConfirmDialog, Switch, useAnnounce } from '../components/ui';
import { type MessageKey, useI18n, useT } from '../i18n';
import { navigate, routes } from '../router';
import { useSession } from '../session';
import { type ProcessSummary, REENTRY, type Reentry } from '../types';
import { LibraryDialog } from './LibraryDialog';

type Id = ProcessSummary['id'];

function completedTotal(p: ProcessSummary): number {
  return Object.values(p.stats?.completed ?? {}).reduce((a, n) => a + n, 0);
}

export function ProcessListPage() {
  const t = useT();
  const announce = useAnnounce();
  const { readOnly } = useSession();
  const [items, setItems] = useState<ProcessSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [library, setLibrary] = useState(false);
  const [confirm, setConfirm] = useState<{ kind: 'reset' | 'delete'; p: ProcessSummary } | null>(null);
  const [importErrors, setImportErrors] = useState<string[] | null>(null);
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    setError(null);
    api
      .listProcesses()
      .then(setItems)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  useEffect(load, [load]);

  const patch = useCallback((id: Id, change: Partial<ProcessSummary>) => {
    setItems((xs) => xs?.map((x) => (x.id === id ? { ...x, ...change } : x)) ?? xs);
  }, []);

  const fail = useCallback((e: unknown) => announce(e instanceof Error ? e.message : String(e), 'error'), [announce]);

  const newProcess = async () => {
    setBusy(true);
    try {
      const r = await api.createProcess({});
      navigate(routes.process(r.id));
    } catch (e) {
      fail(e);
      setBusy(false);
    }
  };

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setImportErrors(null);
    let data: unknown;
    try {
      data = JSON.parse(await file.text());
    } catch {
      setImportErrors([t('list.importNotJson')]);
      return;
    }
    try {
      await api.importProcess(data as never);
      const name = typeof data === 'object' && data && 'name' in data ? String((data as { name: unknown }).name) : file.name;
      announce(t('list.imported', { name }));
      load();
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors?.length) {
        setImportErrors(err.problem.errors.map((x) => `${x.path}: ${x.message}`));
      } else setImportErrors([err instanceof Error ? err.message : String(err)]);
    }
  };

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (items ?? []).filter((p) => !q || p.name.toLowerCase().includes(q));
  }, [items, query]);

  return (
    <main id="main" className="page list-page">
      <div className="page-head">
        <h1>{t('list.title')}</h1>
        {!readOnly ? (
          <div className="row-buttons">
            <button type="button" className="primary" disabled={busy} onClick={() => void newProcess()}>
              {t('list.new')}
            </button>
            <button type="button" onClick={() => setLibrary(true)}>
              {t('list.fromTemplate')}
            </button>
            <label className="button">
              {t('list.import')}
              <input type="file" accept=".json,application/json" className="visually-hidden" onChange={(e) => void importFile(e)} />
            </label>
          </div>
        ) : null}
      </div>
      {importErrors ? (
        <div className="error-box" role="alert">
          <p>{t('list.importFailed')}</p>
          <ul>
            {importErrors.map((x, i) => (
              <li key={i}>{x}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {error ? (
        <div role="alert">
          <p className="error-text">{t('app.error', { message: error })}</p>
          <button type="button" onClick={load}>
            {t('app.retry')}
          </button>
        </div>
      ) : null}
      {!items && !error ? <p className="loading">{t('app.loading')}</p> : null}
      {items && items.length === 0 ? <p className="empty">{t('list.empty')}</p> : null}
      {items && items.length > 0 ? (
        <>
          <div className="field search">
            <label htmlFor="process-filter">{t('list.filter')}</label>
            <input id="process-filter" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          <table className="process-table">
            <thead>
              <tr>
                <th scope="col">{t('list.col.enabled')}</th>
                <th scope="col">{t('list.col.name')}</th>
                <th scope="col">{t('list.col.version')}</th>
                <th scope="col">{t('list.col.reentry')}</th>
                <th scope="col" className="num">{t('list.col.triggers')}</th>
                <th scope="col" className="num">{t('list.col.entered')}</th>
                <th scope="col" className="num">{t('list.col.active')}</th>
                <th scope="col" className="num">{t('list.col.completed')}</th>
                <th scope="col">{t('list.col.lastActivity')}</th>
                <th scope="col">{t('list.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <ProcessRow key={String(p.id)} p={p} readOnly={readOnly} patch={patch} fail={fail} onAsk={(kind) => setConfirm({ kind, p })} />
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {library ? (
        <LibraryDialog
          onClose={() => setLibrary(false)}
          onCreated={(ids) => {
            setLibrary(false);
            announce(t('library.created', { n: ids.length }));
            if (ids.length > 0) navigate(routes.process(ids[0] as Id));
            else load();
          }}
        />
      ) : null}
      {confirm?.kind === 'reset' ? (
        <ConfirmDialog
          title={t('list.resetTitle', { name: confirm.p.name })}
          body={t('list.resetBody', {
            entered: confirm.p.stats?.entered ?? 0,
            active: confirm.p.stats?.active ?? 0,
            completed: completedTotal(confirm.p),
            exited: confirm.p.stats?.exited ?? 0,
            failed: confirm.p.stats?.failed ?? 0,
          })}
          confirmLabel={t('list.reset')}
          danger
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            await api.resetStats(confirm.p.id);
            announce(t('list.resetDone', { name: confirm.p.name }));
            load();
          }}
        />
      ) : null}
      {confirm?.kind === 'delete' ? (
        <ConfirmDialog
          title={t('list.deleteTitle', { name: confirm.p.name })}
          body={t('list.deleteBody', { active: confirm.p.stats?.active ?? 0 })}
          confirmLabel={t('list.delete')}
          danger
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            await api.deleteProcess(confirm.p.id);
            setItems((xs) => xs?.filter((x) => x.id !== confirm.p.id) ?? xs);
            announce(t('list.deleted', { name: confirm.p.name }));
          }}
        />
      ) : null}
    </main>
  );
}

const ProcessRow = memo(function ProcessRow({
  p,
  readOnly,
  patch,
  fail,
  onAsk,
}: {
  p: ProcessSummary;
  readOnly: boolean;
  patch: (id: Id, change: Partial<ProcessSummary>) => void;
  fail: (e: unknown) => void;
  onAsk: (kind: 'reset' | 'delete') => void;
}) {
  const t = useT();
  const { lang } = useI18n();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(p.name);
  const stats = p.stats ?? { entered: 0, active: 0, completed: {}, exited: 0, failed: 0 };
  const triggers = Array.isArray(p.triggers) ? p.triggers.length : p.triggers;
  const toggle = async (on: boolean) => {
    patch(p.id, { enabled: on });
    try {
      if (on) await api.enableProcess(p.id);
      else await api.disableProcess(p.id);
    } catch (e) {
      patch(p.id, { enabled: !on });
      fail(e);
    }
  };
  const rename = async () => {
    const clean = name.trim();
    if (!clean || clean === p.name) {
      setRenaming(false);
      setName(p.name);
      return;
    }
    try {
      await api.renameProcess(p.id, clean);
      patch(p.id, { name: clean });
      setRenaming(false);
    } catch (e) {
      fail(e);
    }
  };
  const reentry = async (r: Reentry) => {
    const old = p.reentry;
    patch(p.id, { reentry: r });
    try {
      await api.setReentry(p.id, r);
    } catch (e) {
      patch(p.id, { reentry: old });
      fail(e);
    }
  };
  const exportFile = async () => {
    try {
      api.downloadJson(api.fileNameFor(p.name), await api.exportProcess(p.id));
    } catch (e) {
      fail(e);
    }
  };
  const last = p.last_activity ? new Date(p.last_activity) : null;
  return (
    <tr>
      <td data-label={t('list.col.enabled')}>
        <Switch
          checked={p.enabled}
          disabled={readOnly}
          label={p.enabled ? t('list.disable', { name: p.name }) : t('list.enable', { name: p.name })}
          onChange={(on) => void toggle(on)}
        />
      </td>
      <th scope="row" data-label={t('list.col.name')} className="name-cell">
        {renaming ? (
          <form
            className="rename"
            onSubmit={(e) => {
              e.preventDefault();
              void rename();
            }}
          >
            <label className="visually-hidden" htmlFor={`rename-${p.id}`}>
              {t('list.renameLabel', { name: p.name })}
            </label>
            <input
              id={`rename-${p.id}`}
              value={name}
              autoFocus
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  setRenaming(false);
                  setName(p.name);
                }
              }}
            />
            <button type="submit" className="primary">
              {t('app.save')}
            </button>
            <button
              type="button"
              onClick={() => {
                setRenaming(false);
                setName(p.name);
              }}
            >
              {t('app.cancel')}
            </button>
          </form>
        ) : (
          <>
            <a href={routes.process(p.id)}>{p.name}</a>
            {!readOnly ? (
              <button type="button" className="icon-btn" aria-label={`${t('list.rename')}: ${p.name}`} title={t('list.rename')} onClick={() => setRenaming(true)}>
                <span aria-hidden="true">✎</span>
              </button>
            ) : null}
          </>
        )}
      </th>
      <td data-label={t('list.col.version')}>{t('list.version', { n: p.version })}</td>
      <td data-label={t('list.col.reentry')}>
        {readOnly ? (
          t(`reentry.${p.reentry}` as MessageKey)
        ) : (
          <select aria-label={`${t('list.col.reentry')}: ${p.name}`} title={t('reentry.help')} value={p.reentry} onChange={(e) => void reentry(e.target.value as Reentry)}>
            {REENTRY.map((r) => (
              <option key={r} value={r}>
                {t(`reentry.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        )}
      </td>
      <td className="num" data-label={t('list.col.triggers')}>
        {triggers}
      </td>
      <td className="num" data-label={t('list.col.entered')}>
        {stats.entered}
      </td>
      <td className="num" data-label={t('list.col.active')}>
        {stats.active}
      </td>
      <td className="num" data-label={t('list.col.completed')}>
        {completedTotal(p)}
        <Outcomes completed={stats.completed} label={t('list.byOutcome')} />
      </td>
      <td data-label={t('list.col.lastActivity')}>
        {last ? <time dateTime={p.last_activity ?? ''}>{last.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' })}</time> : t('list.never')}
      </td>
      <td data-label={t('list.col.actions')} className="actions">
        <a className="button" href={routes.process(p.id)} aria-label={`${t('list.edit')}: ${p.name}`}>
          {t('list.edit')}
        </a>
        <button type="button" onClick={() => void exportFile()} aria-label={`${t('list.export')}: ${p.name}`}>
          {t('list.export')}
        </button>
        {!readOnly ? (
          <>
            <button type="button" onClick={() => onAsk('reset')} aria-label={`${t('list.reset')}: ${p.name}`}>
              {t('list.reset')}
            </button>
            <button type="button" className="danger" onClick={() => onAsk('delete')} aria-label={`${t('list.delete')}: ${p.name}`}>
              {t('list.delete')}
            </button>
          </>
        ) : null}
      </td>
    </tr>
  );
});

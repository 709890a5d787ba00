/** A contact: its card (GET /api/contacts/{id}) and every run with the path it took
 * (GET /api/contacts/{id}/runs, each run with its `history`). */
import { useCallback, useEffect, useState } from 'react';
import * as api from '../api';
import { ConfirmDialog, useAnnounce } from '../components/ui';
import { useI18n, useT } from '../i18n';
import { routes } from '../router';
import { useSession } from '../session';
import type { Json, RunRecord } from '../types';
import { runId, runPath } from './runs';

function when(iso: unknown, lang: string): string {
  if (typeof iso !== 'string') return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

function show(v: Json | undefined): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  return JSON.stringify(v);
}

function processLink(r: RunRecord, ids: Map<string, string | number>) {
  const id = r.process_id ?? (r.process ? ids.get(r.process) : undefined);
  const name = r.process ?? (r.process_id !== undefined ? String(r.process_id) : '');
  return id !== undefined ? <a href={routes.process(id)}>{name}</a> : name;
}

export function ContactPage({ id }: { id: string }) {
  const t = useT();
  const { lang } = useI18n();
  const announce = useAnnounce();
  const { readOnly } = useSession();
  const [contact, setContact] = useState<Record<string, Json> | null>(null);
  const [runs, setRuns] = useState<RunRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exiting, setExiting] = useState<RunRecord | null>(null);
  const [processIds, setProcessIds] = useState<Map<string, string | number>>(new Map());
  const load = useCallback(() => {
    setError(null);
    api
      .getContact(id)
      .then(setContact)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    api
      .getContactRuns(id)
      .then((r) => setRuns(Array.isArray(r) ? r : (r?.runs ?? [])))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    // Runs name their process; the list gives the id to link to.
    api
      .listProcesses()
      .then((ps) => setProcessIds(new Map(ps.map((p) => [p.name, p.id]))))
      .catch(() => undefined);
  }, [id]);
  useEffect(load, [load]);
  const card = contact ? Object.entries(contact).filter(([k]) => k !== 'runs' && k !== 'active_runs' && k !== 'orders') : [];
  return (
    <main id="main" className="page contact-page">
      <p>
        <a href={routes.list()}>
          <span aria-hidden="true">← </span>
          {t('app.toProcesses')}
        </a>
      </p>
      <h1>{t('contact.title', { id })}</h1>
      {error ? (
        <p className="error-text" role="alert">
          {t('contact.loadFailed')} {error}
        </p>
      ) : null}
      {contact ? (
        <section aria-labelledby="contact-details">
          <h2 id="contact-details">{t('contact.details')}</h2>
          <dl className="card-grid">
            {card.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{show(v)}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : !error ? (
        <p className="loading">{t('app.loading')}</p>
      ) : null}
      <section aria-labelledby="contact-runs">
        <h2 id="contact-runs">{t('contact.runs')}</h2>
        {runs && runs.length === 0 ? <p>{t('contact.noRuns')}</p> : null}
        {runs?.map((r) => (
          <article key={runId(r)} className="run">
            <h3>
              {processLink(r, processIds)}
              <span className="muted"> · {r.status ?? ''}</span>
            </h3>
            <dl className="run-facts">
              {r.started_at ? (
                <div>
                  <dt>{t('contact.started')}</dt>
                  <dd>{when(r.started_at, lang)}</dd>
                </div>
              ) : null}
              {r.ended_at ? (
                <div>
                  <dt>{t('contact.ended')}</dt>
                  <dd>{when(r.ended_at, lang)}</dd>
                </div>
              ) : null}
              {r.node && !r.ended_at ? (
                <div>
                  <dt>{t('contact.at')}</dt>
                  <dd>
                    <code>{r.node}</code>
                  </dd>
                </div>
              ) : null}
              {r.outcome ? (
                <div>
                  <dt>{t('contact.outcome')}</dt>
                  <dd>{r.outcome}</dd>
                </div>
              ) : null}
              {r.reason ? (
                <div>
                  <dt>{t('contact.reason')}</dt>
                  <dd>{r.reason}</dd>
                </div>
              ) : null}
            </dl>
            <h4>{t('contact.path')}</h4>
            <ol className="run-path">
              {runPath(r).map((line, i) => (
                <li key={i}>
                  <time className="muted">{when(line.at, lang)}</time> {line.node ? <code>{line.node}</code> : null}{' '}
                  <span>{line.details.map(([k, v]) => `${k}: ${show(v)}`).join(' · ')}</span>
                </li>
              ))}
            </ol>
            {!readOnly && !r.ended_at && (r.status === undefined || r.status === 'active' || r.status === 'waiting') ? (
              <button type="button" className="danger" onClick={() => setExiting(r)}>
                {t('contact.exit')}
              </button>
            ) : null}
          </article>
        ))}
      </section>
      {exiting ? (
        <ConfirmDialog
          title={t('contact.exit')}
          body={t('contact.exitConfirm', { process: String(exiting.process ?? exiting.process_id ?? '') })}
          confirmLabel={t('contact.exit')}
          danger
          onClose={() => setExiting(null)}
          onConfirm={async () => {
            await api.exitRun(runId(exiting));
            announce(t('contact.exit'));
            load();
          }}
        />
      ) : null}
    </main>
  );
}

/** "Create from a template": the library (GET /api/library), each with a small picture of
 * its graph and one line; Create makes its processes (POST /api/library/{slug}). */
import { useEffect, useState } from 'react';
import * as api from '../api';
import { MiniGraph } from '../components/MiniGraph';
import { Modal } from '../components/ui';
import { useT } from '../i18n';
import type { LibraryEntry } from '../types';
import { previewOf } from './previews';

export function LibraryDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (ids: (string | number)[]) => void }) {
  const t = useT();
  const [entries, setEntries] = useState<LibraryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    api
      .getLibrary()
      .then(setEntries)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const create = async (slug: string) => {
    setBusy(slug);
    setError(null);
    try {
      const r = await api.createFromLibrary(slug);
      onCreated(r?.ids ?? []);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(null);
    }
  };
  return (
    <Modal title={t('library.title')} onClose={onClose} className="wide">
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {!entries && !error ? <p className="loading">{t('app.loading')}</p> : null}
      {entries && entries.length === 0 ? <p>{t('library.empty')}</p> : null}
      {entries && entries.length > 0 ? (
        <ul className="library">
          {entries.map((e) => {
            const doc = previewOf(e);
            return (
              <li key={e.slug} className="library-card">
                <div className="library-pic">{doc ? <MiniGraph doc={doc} /> : null}</div>
                <div className="library-text">
                  <h3>{e.name}</h3>
                  <p className="one-line" title={e.description}>
                    {e.description}
                  </p>
                  {e.processes && e.processes.length > 1 ? <p className="muted small">{t('library.processes', { names: e.processes.join(', ') })}</p> : null}
                </div>
                <button type="button" className="primary" disabled={busy !== null} onClick={() => void create(e.slug)} aria-label={`${t('library.create')}: ${e.name}`}>
                  {busy === e.slug ? t('library.creating') : t('library.create')}
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
    </Modal>
  );
}

/** The app shell: session check (sign-in page when there is none), header with the
 * language switcher and the user, and the routed page. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import * as api from './api';
import { NoticeProvider } from './components/ui';
import { type Lang, LANGUAGE_NAMES, LANGUAGES, type MessageKey, tOr, useI18n, useT } from './i18n';
import { ContactPage } from './pages/ContactPage';
import { LoginPage } from './pages/LoginPage';
import { ProcessListPage } from './pages/ProcessListPage';
import { parseHash, routes, useRoute } from './router';
import { canEdit, SessionContext } from './session';
import type { Session } from './types';

// The editor (React Flow and the forms) loads only when a process is opened; when the page
// itself opens on a process, its code loads at once, alongside the session check.
type EditorModule = typeof import('./editor/EditorPage');
let editorModule: EditorModule | null = null;
let editorLoad: Promise<EditorModule> | null = null;
function loadEditor(): Promise<EditorModule> {
  editorLoad ??= import('./editor/EditorPage').then(
    (m) => (editorModule = m),
    (e: unknown) => {
      editorLoad = null; // let a retry fetch it again
      throw e;
    },
  );
  return editorLoad;
}
function prefetchEditor(id: string): void {
  api.prefetch(`process:${id}`, () => api.getProcess(id));
  api.prefetch('catalog', api.getCatalog);
}
const opening = typeof window !== 'undefined' ? parseHash(window.location.hash) : null;
if (opening) api.prefetch('session', api.getSession); // asked before the first render
if (opening?.name === 'process') {
  // A page opened on a process: its code and its data load while the session is checked
  // (when there is no session the answers are 401s, dropped unused).
  void loadEditor().catch(() => undefined);
  prefetchEditor(opening.id);
}

/** The editor page, without Suspense (whose fallback throttling would delay the first
 * render): while its code loads, the process and the catalogue are fetched too. */
function EditorRoute({ id, view }: { id: string; view?: string | undefined }) {
  const t = useT();
  const [mod, setMod] = useState<EditorModule | null>(editorModule);
  const [failed, setFailed] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (mod) return;
    let live = true;
    if (!api.isPrefetched(`process:${id}`)) prefetchEditor(id);
    loadEditor().then(
      (m) => live && setMod(m),
      (e: unknown) => live && setFailed(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [mod, id, attempt]);
  if (failed) {
    return (
      <main id="main" className="page">
        <p className="error-text" role="alert">
          {t('app.error', { message: failed })}
        </p>
        <button
          type="button"
          onClick={() => {
            setFailed(null);
            setAttempt((n) => n + 1);
          }}
        >
          {t('app.retry')}
        </button>
      </main>
    );
  }
  if (!mod) return <p className="loading page">{t('app.loading')}</p>;
  return <mod.EditorPage id={id} view={view} />;
}

export function App() {
  const { t, lang, setLang } = useI18n();
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  const check = useCallback(() => {
    setError(null);
    api
      .takePrefetched('session', api.getSession)
      .then((s) => {
        api.setCsrf(s.csrf ?? '');
        setSession(s);
      })
      .catch((e: unknown) => {
        if (api.DEV_TOKEN && e instanceof api.ApiError && (e.status === 404 || e.status === 405)) {
          setSession({ user: 'api token (dev)', role: 'admin', csrf: '' });
          return;
        }
        if (e instanceof api.ApiError && (e.status === 401 || e.status === 403)) setSession(null);
        else setError(e instanceof api.ApiError && e.status === 0 ? t('app.noServer') : e instanceof Error ? e.message : String(e));
      });
  }, [t]);
  useEffect(check, [check]);
  useEffect(() => {
    api.setUnauthorizedHandler(() => setSession(null));
    return () => api.setUnauthorizedHandler(null);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const signedIn = useCallback((s: Session) => {
    api.setCsrf(s.csrf ?? '');
    setSession(s);
  }, []);
  const signOut = async () => {
    try {
      await api.signOut();
    } catch {
      // the session may be gone already
    }
    api.setCsrf('');
    setSession(null);
  };
  const info = useMemo(() => (session ? { session, readOnly: !canEdit(session.role) } : null), [session]);

  let page;
  if (error) {
    page = (
      <main id="main" className="page">
        <p className="error-text" role="alert">
          {t('app.error', { message: error })}
        </p>
        <button type="button" onClick={check}>
          {t('app.retry')}
        </button>
      </main>
    );
  } else if (session === undefined) {
    page = <p className="loading page">{t('app.loading')}</p>;
  } else if (session === null || !info) {
    page = <LoginPage onSignedIn={signedIn} />;
  } else if (route.name === 'list') {
    page = <ProcessListPage />;
  } else if (route.name === 'process') {
    page = (
      <EditorRoute key={route.id} id={route.id} view={route.view} />
    );
  } else if (route.name === 'contact') {
    page = <ContactPage key={route.id} id={route.id} />;
  } else {
    page = (
      <main id="main" className="page">
        <p>{t('app.notFound')}</p>
        <a href={routes.list()}>{t('app.toProcesses')}</a>
      </main>
    );
  }

  return (
    <NoticeProvider>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="app-bar">
        <a className="brand" href={routes.list()}>
          {t('app.name')}
        </a>
        <div className="app-bar-right">
          <label className="lang">
            <span className="visually-hidden">{t('app.language')}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('app.language')}>
              {LANGUAGES.map((l) => (
                <option key={l} value={l} lang={l}>
                  {LANGUAGE_NAMES[l]}
                </option>
              ))}
            </select>
          </label>
          {session ? (
            <>
              <span className="user" title={t('app.signedInAs', { user: session.user, role: tOr(t, `role.${session.role}` as MessageKey, session.role) })}>
                {session.user} <span className="muted">({tOr(t, `role.${session.role}`, session.role)})</span>
              </span>
              <button type="button" onClick={() => void signOut()}>
                {t('app.signOut')}
              </button>
            </>
          ) : null}
        </div>
      </header>
      {info ? <SessionContext.Provider value={info}>{page}</SessionContext.Provider> : page}
    </NoticeProvider>
  );
}

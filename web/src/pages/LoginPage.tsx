/** Sign in: POST /api/session {username, password}; the server sets the session cookie. */
import { type FormEvent, useState } from 'react';
import * as api from '../api';
import { useT } from '../i18n';
import type { Session } from '../types';

export function LoginPage({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.signIn(username, password);
      // Some servers answer the sign-in with 204; then ask for the session.
      onSignedIn(s && s.csrf !== undefined ? s : await api.getSession());
    } catch (err) {
      setError(err instanceof api.ApiError && (err.status === 401 || err.status === 403) ? t('login.failed') : err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <div className="field">
          <label htmlFor="login-user">{t('login.username')}</label>
          <input id="login-user" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="login-pass">{t('login.password')}</label>
          <input id="login-pass" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error ? (
          <p className="error-text" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}

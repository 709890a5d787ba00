/** The contacts that reached a step, wait there or failed there, each linking to its contact
 * page; a page at a time ("Show more" follows the server's cursor). */
import { useEffect, useState } from 'react';
import { contactItems, nextCursor, nodeContacts } from '../api';
import { Modal } from '../components/ui';
import { tOr, useI18n, useT } from '../i18n';
import { routes } from '../router';
import type { ContactRef } from '../types';
import type { ContactsWhat } from './context';

const KINDS: ContactsWhat[] = ['reached', 'waiting', 'failed'];

export function ContactsDialog({
  processId,
  node,
  what: initial,
  onClose,
}: {
  processId: string;
  node: string;
  what: ContactsWhat;
  onClose: () => void;
}) {
  const t = useT();
  const { lang } = useI18n();
  const [what, setWhat] = useState(initial);
  const [items, setItems] = useState<ContactRef[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));
  useEffect(() => {
    let live = true;
    setItems(null);
    setNext(null);
    setError(null);
    nodeContacts(processId, node, what)
      .then((page) => {
        if (!live) return;
        setItems(contactItems(page));
        setNext(nextCursor(page));
      })
      .catch((e: unknown) => live && fail(e));
    return () => {
      live = false;
    };
  }, [processId, node, what]);
  const more = () => {
    if (!next) return;
    setLoadingMore(true);
    nodeContacts(processId, node, what, next)
      .then((page) => {
        setItems((old) => [...(old ?? []), ...contactItems(page)]);
        setNext(nextCursor(page));
      })
      .catch(fail)
      .finally(() => setLoadingMore(false));
  };
  return (
    <Modal title={t('contacts.title', { what: t(`contacts.${what}`), node })} onClose={onClose}>
      <fieldset className="radios inline">
        <legend>{t('contacts.show')}</legend>
        {KINDS.map((w) => (
          <label key={w} className="check">
            <input type="radio" name="contacts-what" checked={what === w} onChange={() => setWhat(w)} />
            {t(`contacts.${w}`)}
          </label>
        ))}
      </fieldset>
      {error ? <p className="error-text" role="alert">{error}</p> : null}
      {!items && !error ? <p className="loading">{t('app.loading')}</p> : null}
      {items && items.length === 0 ? <p>{t('contacts.none')}</p> : null}
      {items && items.length > 0 ? (
        <ul className="contact-list">
          {items.map((c, i) => {
            const cid = String(c.id ?? c.contact ?? '');
            return (
              <li key={`${cid}-${c.run ?? i}`}>
                <a href={routes.contact(cid)}>{c.email || c.phone || cid}</a>
                {c.email || c.phone ? <span className="muted"> · {cid}</span> : null}
                {typeof c.since === 'string' ? <span className="muted"> · {new Date(c.since).toLocaleString(lang)}</span> : null}
                {what === 'reached' && c.status ? (
                  <span className="muted"> · {tOr(t, `contacts.status.${c.status}`, c.status)}</span>
                ) : null}
                {what !== 'reached' && typeof c.wake_at === 'string' ? (
                  <span className="muted"> · {t('contacts.wakes', { at: new Date(c.wake_at).toLocaleString(lang) })}</span>
                ) : null}
                {c.reason && (what === 'failed' || c.status === 'failed') ? <span className="error-text"> · {c.reason}</span> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {next && items ? (
        <button type="button" onClick={more} disabled={loadingMore}>
          {t('contacts.more')}
        </button>
      ) : null}
    </Modal>
  );
}

/** The contacts waiting at (or that reached) a step, each linking to its contact page. */
import { useEffect, useState } from 'react';
import { contactItems, nodeContacts } from '../api';
import { Modal } from '../components/ui';
import { useI18n, useT } from '../i18n';
import { routes } from '../router';
import type { ContactRef } from '../types';
import type { ContactsWhat } from './context';

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
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setItems(null);
    setError(null);
    nodeContacts(processId, node, what)
      .then((page) => live && setItems(contactItems(page)))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [processId, node, what]);
  return (
    <Modal title={t('contacts.title', { what: t(`contacts.${what}`), node })} onClose={onClose}>
      <fieldset className="radios inline">
        <legend>{t('contacts.show')}</legend>
        {(['waiting', 'failed'] as const).map((w) => (
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
                {typeof c.wake_at === 'string' ? <span className="muted"> · {t('contacts.wakes', { at: new Date(c.wake_at).toLocaleString(lang) })}</span> : null}
                {c.reason ? <span className="error-text"> · {c.reason}</span> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
    </Modal>
  );
}

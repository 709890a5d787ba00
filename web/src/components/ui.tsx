/** Small accessible building blocks: modal dialog, confirmation, switch, status messages. */
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useT } from '../i18n';

export function Modal({
  title,
  onClose,
  children,
  className = '',
  footer,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  footer?: ReactNode;
}) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (d && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    }
    return () => {
      if (d?.open) d.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal ${className}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        closeRef.current();
      }}
      onMouseDown={(e) => {
        if (e.target === ref.current) closeRef.current();
      }}
    >
      <div className="modal-inner">
        <div className="modal-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-btn" aria-label={t('app.close')} onClick={() => closeRef.current()}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
        <div className="modal-body">{children}</div>
        {footer ? <div className="modal-foot">{footer}</div> : null}
      </div>
    </dialog>
  );
}

export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger = false,
  onConfirm,
  onClose,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
}) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      className="confirm"
      footer={
        <>
          <button type="button" onClick={onClose} disabled={busy}>
            {t('app.cancel')}
          </button>
          <button type="button" className={danger ? 'danger' : 'primary'} onClick={() => void run()} disabled={busy}>
            {confirmLabel}
          </button>
        </>
      }
    >
      <p>{body}</p>
      {error ? (
        <p role="alert" className="error-text">
          {error}
        </p>
      ) : null}
    </Modal>
  );
}

export function Switch({
  checked,
  onChange,
  label,
  disabled = false,
  showLabel = false,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  disabled?: boolean;
  showLabel?: boolean;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={showLabel ? undefined : label}
      className={`switch ${checked ? 'on' : 'off'}`}
      disabled={disabled}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      {showLabel ? <span className="switch-label">{label}</span> : null}
    </button>
  );
}

// ---- status messages (a polite live region) ----

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

const NoticeContext = createContext<(text: string, kind?: Notice['kind']) => void>(() => undefined);

export function NoticeProvider({ children }: { children: ReactNode }) {
  const t = useT();
  const [notices, setNotices] = useState<Notice[]>([]);
  const seq = useRef(0);
  const announce = useCallback((text: string, kind: Notice['kind'] = 'info') => {
    const id = ++seq.current;
    setNotices((ns) => [...ns.slice(-2), { id, text, kind }]);
    setTimeout(() => setNotices((ns) => ns.filter((n) => n.id !== id)), kind === 'error' ? 12000 : 5000);
  }, []);
  return (
    <NoticeContext.Provider value={announce}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`notice ${n.kind}`}>
            <span>{n.text}</span>
            <button
              type="button"
              className="icon-btn"
              aria-label={t('app.close')}
              onClick={() => setNotices((ns) => ns.filter((x) => x.id !== n.id))}
            >
              <span aria-hidden="true">×</span>
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export function useAnnounce() {
  return useContext(NoticeContext);
}

/** True on narrow screens (phones): the layout switches to bottom sheets. */
export function useIsPhone(): boolean {
  const query = '(max-width: 639px)';
  const [phone, setPhone] = useState(() => typeof window !== 'undefined' && window.matchMedia?.(query).matches);
  useEffect(() => {
    const mq = window.matchMedia?.(query);
    if (!mq) return;
    const on = () => setPhone(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return phone;
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}

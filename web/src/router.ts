/**
 * Hash routing (the Python server serves one index.html; no server-side routes needed):
 * `#/` process list, `#/processes/ID` editor, `#/contacts/ID` contact page. A blocker
 * (unsaved changes) can refuse a navigation, including the browser's back button.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'list' }
  | { name: 'process'; id: string; view?: string | undefined }
  | { name: 'contact'; id: string }
  | { name: 'notfound'; path: string };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart, query = ''] = raw.split('?');
  const parts = (pathPart ?? '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { name: 'list' };
  if (parts[0] === 'processes' && parts.length === 2) {
    const view = new URLSearchParams(query).get('view') ?? undefined;
    return { name: 'process', id: parts[1] as string, view };
  }
  if (parts[0] === 'contacts' && parts.length === 2) return { name: 'contact', id: parts[1] as string };
  return { name: 'notfound', path: raw };
}

export const routes = {
  list: () => '#/',
  process: (id: string | number, view?: string) =>
    `#/processes/${encodeURIComponent(String(id))}${view ? `?view=${view}` : ''}`,
  contact: (id: string) => `#/contacts/${encodeURIComponent(id)}`,
};

type Blocker = () => boolean;
let blocker: Blocker | null = null;
let current = typeof window !== 'undefined' ? window.location.hash : '';
let restoring = false;
let allowedOnce = false;

/** While set, every navigation asks `allow()` first (e.g. "leave with unsaved changes?"). */
export function setNavigationBlocker(allow: Blocker | null): void {
  blocker = allow;
}

export function navigate(hash: string): void {
  if (hash === window.location.hash) return;
  if (blocker && !blocker()) return;
  allowedOnce = true; // asked already: the hashchange that follows must not ask again
  window.location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      if (restoring) {
        restoring = false;
        return;
      }
      const asked = allowedOnce;
      allowedOnce = false;
      if (!asked && blocker && !blocker()) {
        // Back/forward or a typed URL: put the old address back.
        restoring = true;
        window.location.hash = current;
        return;
      }
      current = window.location.hash;
      setRoute(parseHash(current));
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

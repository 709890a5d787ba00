/**
 * The HTTP API client, as docs/api.md describes it. JSON in and out; errors are RFC 9457
 * problem JSON and become ApiError; the session's CSRF token goes in `X-CSRF-Token` on
 * every request that is not a GET.
 */
import type {
  Catalog, ContactRef, Json, LibraryEntry, ProcessDoc, ProcessRecord, ProcessStats,
  ProcessSummary, Reentry, RunRecord, Session,
} from './types';

export interface ProblemJson {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemJson;

  constructor(status: number, problem: ProblemJson) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

type Id = string | number;

let csrfToken = '';
let onUnauthorized: (() => void) | null = null;

export function setCsrf(token: string): void {
  csrfToken = token;
}

/** Called when a request (other than the session check) answers 401. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

const seg = (id: Id) => encodeURIComponent(String(id));

/** Development only (`npm run dev` with VITE_API_TOKEN=…): talk to a `nurtura serve` that
 * has no sign-in yet with an API token. Not in the production build. */
export const DEV_TOKEN: string | undefined = import.meta.env.DEV ? (import.meta.env.VITE_API_TOKEN as string | undefined) : undefined;

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (DEV_TOKEN) headers.Authorization = `Bearer ${DEV_TOKEN}`;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { title: 'Network error', detail: err instanceof Error ? err.message : String(err) });
  }
  if (!res.ok) {
    let problem: ProblemJson = { status: res.status, title: res.statusText };
    const text = await res.text();
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') problem = { ...problem, ...(parsed as ProblemJson) };
      // FastAPI's own errors are {"detail": "..."} or {"detail": [...]}.
      if (problem.detail !== undefined && typeof problem.detail !== 'string') problem.detail = JSON.stringify(problem.detail);
    } catch {
      // Not JSON (a proxy's or a static server's page): keep the status line only.
      if (text && !text.trimStart().startsWith('<')) problem.detail = text.slice(0, 300);
      else problem.detail = `HTTP ${res.status} ${res.statusText}`.trim();
    }
    if (res.status === 401 && path !== '/api/session' && onUnauthorized) onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// ---- prefetching (the editor's data, fetched while its code loads) ----

const prefetched = new Map<string, { at: number; answer: Promise<unknown> }>();

/** Starts a request now, for `takePrefetched` to pick up within a few seconds. */
export function prefetch(key: string, load: () => Promise<unknown>): void {
  const answer = load();
  // A failed prefetch (a 401 before signing in, say) is dropped: the taker asks again.
  answer.catch(() => {
    if (prefetched.get(key)?.answer === answer) prefetched.delete(key);
  });
  prefetched.set(key, { at: Date.now(), answer });
}

export function isPrefetched(key: string, maxAgeMs = 5000): boolean {
  const hit = prefetched.get(key);
  return hit !== undefined && Date.now() - hit.at < maxAgeMs;
}

/** The answer of a recent `prefetch(key)` (once), else a fresh `load()`. */
export function takePrefetched<T>(key: string, load: () => Promise<T>, maxAgeMs = 5000): Promise<T> {
  const hit = prefetched.get(key);
  prefetched.delete(key);
  return hit && Date.now() - hit.at < maxAgeMs ? (hit.answer as Promise<T>) : load();
}

// ---- session ----

export const getSession = () => request<Session>('GET', '/api/session');
export const signIn = (username: string, password: string) =>
  request<Session>('POST', '/api/session', { username, password });
/** Not in docs/api.md: sign out (DELETE /api/session). */
export const signOut = () => request<void>('DELETE', '/api/session');

// ---- processes ----

export const listProcesses = () => request<ProcessSummary[]>('GET', '/api/processes');
/** `{}` makes an empty process named "Process from DATE TIME" on the server. */
export const createProcess = (doc: ProcessDoc | Record<string, never> = {}) =>
  request<{ id: Id; version: number }>('POST', '/api/processes', doc);
export const getProcess = (id: Id) => request<ProcessRecord>('GET', `/api/processes/${seg(id)}`);
export const saveProcess = (id: Id, doc: ProcessDoc) =>
  request<{ id?: Id; version: number } | undefined>('PUT', `/api/processes/${seg(id)}`, doc);
export const renameProcess = (id: Id, name: string) => request<unknown>('PATCH', `/api/processes/${seg(id)}`, { name });
export const setReentry = (id: Id, reentry: Reentry) =>
  request<unknown>('PATCH', `/api/processes/${seg(id)}`, { reentry });
export const enableProcess = (id: Id) => request<unknown>('POST', `/api/processes/${seg(id)}/enable`);
export const disableProcess = (id: Id) => request<unknown>('POST', `/api/processes/${seg(id)}/disable`);
export const resetStats = (id: Id) => request<unknown>('POST', `/api/processes/${seg(id)}/reset-stats`);
export const deleteProcess = (id: Id) => request<unknown>('DELETE', `/api/processes/${seg(id)}`);
export const validateProcess = (doc: ProcessDoc) => request<{ ok: true }>('POST', '/api/processes/validate', doc);
export const exportProcess = (id: Id) => request<ProcessDoc>('GET', `/api/processes/${seg(id)}/export`);
export const importProcess = (doc: Json) => request<{ id: Id; version: number }>('POST', '/api/processes/import', doc);
export const getStats = (id: Id) => request<ProcessStats>('GET', `/api/processes/${seg(id)}/stats`);
export const getVersions = (id: Id) => request<unknown[]>('GET', `/api/processes/${seg(id)}/versions`);

/** A page of contacts: `next` (the server's) or `next_cursor` goes back as `cursor`; a bare
 * list is accepted too. */
export type ContactsPage = ContactRef[] | { items: ContactRef[]; next?: string | null; next_cursor?: string | null };

/** `what`: `reached` (runs that passed through the node, newest first), `waiting` (at the
 * node now) or `failed` (runs that failed there, with `reason`); a page at a time. */
export const nodeContacts = (id: Id, node: string, what: 'waiting' | 'failed' | 'reached', cursor?: string | null) =>
  request<ContactsPage>(
    'GET',
    `/api/processes/${seg(id)}/nodes/${seg(node)}/contacts?what=${what}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
  );

/** The cursor of the next page of a contacts answer, or null when there is none. */
export function nextCursor(page: ContactsPage | undefined): string | null {
  if (!page || Array.isArray(page)) return null;
  return page.next ?? page.next_cursor ?? null;
}

/** Items of a contacts answer, whether it is a bare list or a page. */
export function contactItems(page: ContactsPage | undefined): ContactRef[] {
  if (!page) return [];
  return Array.isArray(page) ? page : page.items ?? [];
}

// ---- library and catalogue ----

export const getLibrary = () => request<LibraryEntry[]>('GET', '/api/library');
export const createFromLibrary = (slug: string) =>
  request<{ ids: Id[] }>('POST', `/api/library/${seg(slug)}`);
export const getCatalog = () => request<Catalog>('GET', '/api/catalog');

// ---- contacts and runs ----

export const getContact = (id: string) => request<Record<string, Json>>('GET', `/api/contacts/${seg(id)}`);
export const getContactRuns = (id: string) =>
  request<RunRecord[] | { runs: RunRecord[] }>('GET', `/api/contacts/${seg(id)}/runs`);
export const exitRun = (runId: Id) => request<unknown>('POST', `/api/runs/${seg(runId)}/exit`);

/** Saves a JSON document as a file through the browser. */
export function downloadJson(filename: string, data: unknown): void {
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function fileNameFor(name: string): string {
  const base = name.trim().replace(/[\\/:*?"<>|]+/g, '-').replace(/\s+/g, '-').toLowerCase() || 'process';
  return `${base}.json`;
}

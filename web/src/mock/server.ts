/**
 * A tiny in-browser stand-in for the HTTP API (docs/api.md), for `npm run dev:mock` only:
 * it replaces window.fetch for /api/… with an in-memory store seeded with the shipped
 * library. Never part of the production bundle (main.tsx imports it behind
 * `import.meta.env.DEV`). Sign in with any password; user "viewer" gets the viewer role.
 */
import { validateDoc } from '../graph/validate';
import type { Catalog, ProcessDoc, ProcessStats, ProcessSummary, RunRecord } from '../types';

const FILES = import.meta.glob<string>('../graph/__fixtures__/*.json', { query: '?raw', import: 'default', eager: true });

interface Stored {
  id: number;
  enabled: boolean;
  version: number;
  doc: ProcessDoc;
  activated_at: string | null;
  last_activity: string | null;
  resetAt: number;
}

const TEMPLATES = [
  'cheaper-offer', 'discount-30', 'discount-50', 'lesson-reminder', 'invoice-objection-1', 'invoice-objection-2',
  'invoice-objection-3', 'invoice-thanks', 'campaign-1-welcome', 'campaign-1-story', 'campaign-1-offer',
  'campaign-1-last-call', 'campaign-2-welcome', 'campaign-2-offer', 'campaign-2-last-call', 'webinar-confirmation',
  'webinar-reminder-1h', 'webinar-reminder-15m', 'webinar-discount', 'webinar-test-drive', 'webinar-invitation',
];

const LIBRARY = [
  { slug: 'personal-offer', name: 'Personal offer', files: ['personal-offer'] },
  { slug: 'course-reminder', name: 'Course reminder', files: ['course-reminder', 'lesson-opened-tag'] },
  { slug: 'unpaid-invoice', name: 'Unpaid invoice follow-up', files: ['unpaid-invoice'] },
  { slug: 'lead-to-buyer', name: 'Lead to buyer', files: ['lead-to-buyer', 'campaign-1', 'campaign-2', 'customer-1-tag'] },
  { slug: 'auto-webinar', name: 'Auto-webinar', files: ['auto-webinar'] },
];

function fileDoc(name: string): ProcessDoc {
  const entry = Object.entries(FILES).find(([p]) => p.endsWith(`/${name}.json`));
  if (!entry) throw new Error(`no library file ${name}`);
  return JSON.parse(entry[1]) as ProcessDoc;
}

const store: Stored[] = [];
let nextId = 1;
const CSRF = 'mock-csrf-token';

function add(doc: ProcessDoc, enabled = false): Stored {
  const existing = store.find((p) => p.doc.name === doc.name);
  if (existing) {
    existing.doc = doc;
    existing.version += 1;
    return existing;
  }
  const p: Stored = {
    id: nextId++,
    enabled,
    version: 1,
    doc,
    activated_at: enabled ? new Date().toISOString() : null,
    last_activity: enabled ? new Date(Date.now() - 3600_000).toISOString() : null,
    resetAt: 0,
  };
  store.push(p);
  return p;
}

for (const f of ['personal-offer', 'course-reminder', 'lesson-opened-tag']) add(fileDoc(f), true);

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.abs(h);
}

function statsOf(p: Stored): ProcessStats {
  const zero = p.resetAt > 0;
  const nodes: ProcessStats['nodes'] = {};
  for (const [id, n] of Object.entries(p.doc.nodes)) {
    const h = zero ? 0 : hash(`${p.id}:${id}`);
    const reached = h % 400;
    const s: ProcessStats['nodes'][string] = { reached };
    if (n.type === 'wait' || n.type === 'delay') s.waiting = h % 37;
    if (n.type === 'action' && (n.do === 'send_email' || n.do === 'send_sms')) {
      s.sent = reached;
      s.opened = Math.floor(reached * 0.45);
      s.clicked = Math.floor(reached * 0.12);
      s.unsubscribed = h % 3;
      s.skipped = h % 5;
      if (h % 4 === 0) s.failed = 2;
    }
    nodes[id] = s;
  }
  const daily = [];
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  for (let i = 29; i >= 0; i--) {
    const h = zero ? 0 : hash(`${p.id}:${i}`);
    daily.push({ day: new Date(today - i * 86400000).toISOString().slice(0, 10), entered: h % 40, completed: h % 23, exited: h % 5 });
  }
  const entered = daily.reduce((a, d) => a + d.entered, 0);
  const outcomes: Record<string, number> = {};
  for (const n of Object.values(p.doc.nodes)) {
    if (n.type === 'end') {
      const key = typeof n.outcome === 'string' ? n.outcome : '';
      outcomes[key] = zero ? 0 : hash(`${p.id}:${key}`) % 90;
    }
  }
  return { entered, active: zero ? 0 : hash(String(p.id)) % 60, completed: outcomes, exited: zero ? 0 : 4, failed: zero ? 0 : 1, nodes, daily };
}

function summary(p: Stored): ProcessSummary {
  const s = statsOf(p);
  return {
    id: p.id,
    name: p.doc.name,
    enabled: p.enabled,
    version: p.version,
    reentry: p.doc.reentry ?? 'if_not_active',
    triggers: Object.values(p.doc.nodes).filter((n) => n.type === 'trigger').length,
    stats: { entered: s.entered, active: s.active, completed: s.completed, exited: s.exited, failed: s.failed },
    last_activity: p.last_activity,
  };
}

function catalog(): Catalog {
  const tags = new Set(['VIP', 'Lesson1', 'Customer 1']);
  const lists = new Set(['Buyers', 'Made the order', 'Not interested']);
  for (const p of store) {
    for (const n of Object.values(p.doc.nodes)) {
      if (typeof n.tag === 'string' && n.tag) tags.add(n.tag);
      if (typeof n.list === 'string' && n.list) lists.add(n.list);
    }
  }
  return {
    events: ['order.created', 'order.paid', 'order.cancelled', 'order.refunded', 'form.submitted', 'webinar.registered', 'email.opened', 'campaign.subscribed'],
    templates: TEMPLATES,
    tags: [...tags],
    lists: [...lists],
    processes: [...new Set([...store.map((p) => p.doc.name), 'Campaign 1', 'Campaign 2'])],
    funnels: { Sales: ['Lead', 'Demo', 'Proposal', 'Won', 'Lost'] },
  };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function problem(status: number, title: string, detail: string, errors?: { path: string; message: string }[]): Response {
  return json(status, { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) });
}

function invalid(doc: ProcessDoc): Response | null {
  const problems = validateDoc(doc, catalog());
  if (problems.length === 0) return null;
  return problem(
    422,
    'Invalid process',
    `${problems.length} problem(s)`,
    problems.map((p) => ({ path: p.path, message: `${p.code}${p.params ? ` ${JSON.stringify(p.params)}` : ''}` })),
  );
}

function runsOf(contact: string): RunRecord[] {
  // The shape `nurtura serve` answers with: `run`, process name, history grouped by instant.
  const p = store[0];
  if (!p) return [];
  const ids = Object.keys(p.doc.nodes).slice(0, 4);
  const t0 = Date.now() - 2 * 86400000;
  return [
    {
      run: `${contact}-r1`,
      process: p.doc.name,
      status: 'active',
      node: ids[ids.length - 1] ?? null,
      started_at: new Date(t0).toISOString(),
      ended_at: null,
      reason: null,
      vars: {},
      history: ids.map((node, i) => ({
        at: new Date(t0 + i * 3600_000).toISOString(),
        steps: [i === 1 ? { node, action: 'add_to_list', list: 'Made the order' } : { node, ...(i === 0 ? { event: 'order.created' } : {}) }],
      })),
    },
  ];
}

let signedIn: { user: string; role: string } | null = (() => {
  try {
    const s = sessionStorage.getItem('nurtura.mock.session');
    return s ? (JSON.parse(s) as { user: string; role: string }) : null;
  } catch {
    return null;
  }
})();

async function handle(method: string, url: URL, headers: Headers, body: unknown): Promise<Response> {
  const path = url.pathname;
  await new Promise((r) => setTimeout(r, 120));
  if (path === '/api/session') {
    if (method === 'GET') return signedIn ? json(200, { ...signedIn, csrf: CSRF }) : problem(401, 'Unauthorized', 'not signed in');
    if (method === 'POST') {
      const b = body as { username?: string; password?: string };
      if (!b?.username || !b.password) return problem(401, 'Unauthorized', 'wrong user name or password');
      signedIn = { user: b.username, role: b.username === 'viewer' ? 'viewer' : b.username === 'admin' ? 'admin' : 'author' };
      sessionStorage.setItem('nurtura.mock.session', JSON.stringify(signedIn));
      return json(200, { ...signedIn, csrf: CSRF });
    }
    if (method === 'DELETE') {
      signedIn = null;
      sessionStorage.removeItem('nurtura.mock.session');
      return new Response(null, { status: 204 });
    }
  }
  if (!signedIn) return problem(401, 'Unauthorized', 'not signed in');
  if (method !== 'GET' && headers.get('X-CSRF-Token') !== CSRF) return problem(403, 'Forbidden', 'missing CSRF token');
  if (method !== 'GET' && signedIn.role === 'viewer') return problem(403, 'Forbidden', 'viewers cannot change anything');

  if (path === '/api/catalog') return json(200, catalog());
  if (path === '/api/library' && method === 'GET') {
    return json(200, LIBRARY.map((l) => ({ slug: l.slug, name: l.name, description: fileDoc(l.files[0] as string).description ?? '', processes: l.files.map((f) => fileDoc(f).name) })));
  }
  let m = /^\/api\/library\/([^/]+)$/.exec(path);
  if (m && method === 'POST') {
    const l = LIBRARY.find((x) => x.slug === decodeURIComponent(m![1] as string));
    if (!l) return problem(404, 'Not found', 'no such template');
    return json(201, { ids: l.files.map((f) => add(fileDoc(f)).id) });
  }
  if (path === '/api/processes' && method === 'GET') return json(200, store.map(summary));
  if (path === '/api/processes' && method === 'POST') {
    const b = body as Partial<ProcessDoc>;
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const name = `Process from ${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}`;
    const doc = b && b.nodes ? (b as ProcessDoc) : { nurtura: 1, name, nodes: {} };
    const p = add(doc);
    return json(201, { id: p.id, version: p.version });
  }
  if (path === '/api/processes/import' && method === 'POST') {
    const doc = body as ProcessDoc;
    if (!doc || doc.nurtura !== 1 || typeof doc.nodes !== 'object') return problem(422, 'Invalid process', 'not a process file', [{ path: '$', message: 'a process file is a JSON object with "nurtura": 1' }]);
    const bad = invalid(doc);
    if (bad) return bad;
    const p = add(doc);
    return json(201, { id: p.id, version: p.version });
  }
  if (path === '/api/processes/validate' && method === 'POST') return invalid(body as ProcessDoc) ?? json(200, { ok: true });
  m = /^\/api\/processes\/(\d+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const p = store.find((x) => x.id === Number(m![1]));
    if (!p) return problem(404, 'Not found', 'no such process');
    const rest = m[2] ?? '';
    if (rest === '' && method === 'GET') return json(200, { id: p.id, name: p.doc.name, enabled: p.enabled, version: p.version, activated_at: p.activated_at, doc: p.doc });
    if (rest === '' && method === 'PUT') {
      const doc = body as ProcessDoc;
      const bad = invalid(doc);
      if (bad) return bad;
      const first = Object.keys(doc.nodes)[0];
      if (doc.name.startsWith('Reject') && first) {
        // Lets the editor's handling of server-side problems be tried by hand.
        return problem(422, 'Invalid process', '1 problem', [{ path: `$.nodes.${first}.next`, message: 'rejected by the mock server' }]);
      }
      p.doc = doc;
      p.version += 1;
      return json(200, { id: p.id, version: p.version });
    }
    if (rest === '' && method === 'PATCH') {
      const b = body as { name?: string; reentry?: ProcessDoc['reentry'] };
      if (b.name) p.doc = { ...p.doc, name: b.name };
      if (b.reentry) p.doc = { ...p.doc, reentry: b.reentry };
      return json(200, summary(p));
    }
    if (rest === '' && method === 'DELETE') {
      store.splice(store.indexOf(p), 1);
      return new Response(null, { status: 204 });
    }
    if (rest === 'enable' || rest === 'disable') {
      p.enabled = rest === 'enable';
      if (p.enabled) p.activated_at = new Date().toISOString();
      return json(200, summary(p));
    }
    if (rest === 'reset-stats') {
      p.resetAt = Date.now();
      return json(200, summary(p));
    }
    if (rest === 'export') return json(200, p.doc);
    if (rest === 'stats') return json(200, statsOf(p));
    const c = /^nodes\/([^/]+)\/contacts$/.exec(rest);
    if (c) {
      const what = url.searchParams.get('what') ?? 'waiting';
      const failed = what === 'failed';
      const n = (what === 'reached' ? 6 : 1) + (hash(`${p.id}:${c[1]}`) % 6);
      const items = Array.from({ length: n }, (_, i) => ({
        contact: `c${i + 1}`,
        run: `c${i + 1}-r1`,
        status: failed ? 'failed' : what === 'reached' && i % 2 ? 'completed' : 'active',
        since: new Date(Date.now() - i * 3600_000).toISOString(),
        wake_at: failed ? null : new Date(Date.now() + (i + 1) * 3600_000).toISOString(),
        reason: failed ? 'smtp_timeout' : null,
      }));
      // a page at a time, as the server does (five rows a page here)
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const next = from + 5 < n ? String(from + 5) : null;
      return json(200, { items: items.slice(from, from + 5), next });
    }
  }
  m = /^\/api\/contacts\/([^/]+)(\/runs)?$/.exec(path);
  if (m && method === 'GET') {
    const id = decodeURIComponent(m[1] as string);
    if (m[2]) return json(200, runsOf(id));
    return json(200, { id, email: `${id}@example.com`, phone: null, timezone: 'Europe/Amsterdam', tags: ['VIP'], lists: ['Buyers'], score: 42, total_paid: 52000, rfm: 'loyal' });
  }
  if (/^\/api\/runs\/[^/]+\/exit$/.test(path) && method === 'POST') return json(200, { ok: true });
  return problem(404, 'Not found', `${method} ${path}`);
}

export function installMock(): void {
  const real = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, window.location.href);
    if (!url.pathname.startsWith('/api/')) return real(input, init);
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    return handle(method, url, new Headers(init?.headers), body);
  };
  console.info('[nurtura] API mock installed (VITE_MOCK=1)');
}

/**
 * Message formatting without React: `{name}` placeholders and a small ICU-style plural,
 * `{n, plural, one {# node} few {# узла} other {# nodes}}` (categories of Intl.PluralRules).
 */

export type Params = Record<string, string | number>;

const PLURAL = /\{(\w+), plural,((?:\s*[a-z=0-9]+\s*\{[^{}]*\})+)\s*\}/g;
const CASE = /([a-z=0-9]+)\s*\{([^{}]*)\}/g;

export function format(template: string, params: Params = {}, lang = 'en'): string {
  let out = template.replace(PLURAL, (_all, name: string, body: string) => {
    const value = Number(params[name] ?? 0);
    const cases = new Map<string, string>();
    for (const m of body.matchAll(CASE)) cases.set(m[1] as string, m[2] as string);
    const exact = cases.get(`=${value}`);
    const cat = new Intl.PluralRules(lang).select(value);
    const text = exact ?? cases.get(cat) ?? cases.get('other') ?? '';
    return text.replace(/#/g, String(value));
  });
  out = out.replace(/\{(\w+)\}/g, (all, name: string) => (name in params ? String(params[name]) : all));
  return out;
}

export const LANGUAGES = ['en', 'ru', 'nl'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** The first of the browser's languages we have (`ru-RU` → ru), else English. */
export function pickLanguage(preferred: readonly string[] | undefined, stored?: string | null): Lang {
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Lang;
  for (const tag of preferred ?? []) {
    const base = tag.toLowerCase().split(/[-_]/)[0] ?? '';
    if ((LANGUAGES as readonly string[]).includes(base)) return base as Lang;
  }
  return 'en';
}

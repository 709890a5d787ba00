/**
 * The message catalogues (en, ru, nl) and the React side: a provider holding the current
 * language, `useT()` for translating, the language chosen from navigator.languages unless
 * the user picked one (kept in localStorage).
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey, type Messages } from './en';
import { format, type Lang, LANGUAGES, type Params, pickLanguage } from './format';
import { nl } from './nl';
import { ru } from './ru';

export { format, LANGUAGES, pickLanguage, type Lang, type MessageKey, type Params };

export const CATALOGUES: Record<Lang, Messages> = { en, ru, nl };
export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', ru: 'Русский', nl: 'Nederlands' };
const STORAGE_KEY = 'nurtura.lang';

export type Translate = (key: MessageKey, params?: Params) => string;

/** A translate function for one language (English for keys a catalogue lacks). */
export function translator(lang: Lang): Translate {
  const cat = CATALOGUES[lang];
  return (key, params) => format(cat[key] ?? en[key] ?? key, params, lang);
}

/** Translates a key built at run time (`node.wait`, `v.missing`), or returns `fallback`. */
export function hasKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

interface I18n {
  lang: Lang;
  t: Translate;
  setLang: (lang: Lang) => void;
}

function initialLang(): Lang {
  let stored: string | null = null;
  try {
    stored = globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  const nav = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  return pickLanguage(nav, stored);
}

const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => undefined });

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => fixed ?? initialLang());
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, l);
    } catch {
      // not kept; fine
    }
    document.documentElement.lang = l;
  }, []);
  const value = useMemo(() => ({ lang, t: translator(lang), setLang }), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function useT(): Translate {
  return useContext(I18nContext).t;
}

/** Translate `prefix + name` when the catalogue has it, else show `name` itself. */
export function tOr(t: Translate, key: string, fallback: string, params?: Params): string {
  return hasKey(key) ? t(key, params) : fallback;
}

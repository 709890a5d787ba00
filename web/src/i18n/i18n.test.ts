import { describe, expect, it } from 'vitest';
import { en } from './en';
import { format, pickLanguage } from './format';
import { CATALOGUES, translator } from './index';

describe('i18n', () => {
  it('picks the language from navigator.languages, a stored choice first', () => {
    expect(pickLanguage(['ru-RU', 'en'])).toBe('ru');
    expect(pickLanguage(['de-DE', 'nl-BE', 'en'])).toBe('nl');
    expect(pickLanguage(['fr'])).toBe('en');
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage(['ru'], 'nl')).toBe('nl');
    expect(pickLanguage(['ru'], 'xx')).toBe('ru');
  });

  it('fills placeholders and plurals', () => {
    expect(format('Hello {name}', { name: 'Ann' })).toBe('Hello Ann');
    expect(format('{missing}', {})).toBe('{missing}');
    const ru = '{n, plural, one {# шаг} few {# шага} many {# шагов} other {# шага}}';
    expect(format(ru, { n: 1 }, 'ru')).toBe('1 шаг');
    expect(format(ru, { n: 3 }, 'ru')).toBe('3 шага');
    expect(format(ru, { n: 5 }, 'ru')).toBe('5 шагов');
    expect(format(ru, { n: 21 }, 'ru')).toBe('21 шаг');
    expect(format('{n, plural, =0 {none} one {# item} other {# items}}', { n: 0 })).toBe('none');
    expect(translator('nl')('editor.copied', { n: 2 })).toBe('2 stappen gekopieerd.');
  });

  it('has every key in every catalogue, none empty, placeholders kept', () => {
    const keys = Object.keys(en).sort();
    for (const [lang, cat] of Object.entries(CATALOGUES)) {
      expect(Object.keys(cat).sort(), lang).toEqual(keys);
      for (const k of keys) {
        const v = (cat as Record<string, string>)[k] as string;
        expect(v.trim(), `${lang} ${k}`).not.toBe('');
        const names = (s: string) => [...s.matchAll(/\{(\w+)[},]/g)].map((m) => m[1]).sort();
        expect(names(v), `${lang} ${k}`).toEqual(names((en as Record<string, string>)[k] as string));
      }
    }
  });

  it('is really translated (most strings differ from English)', () => {
    for (const lang of ['ru', 'nl'] as const) {
      const cat = CATALOGUES[lang] as Record<string, string>;
      const same = Object.keys(en).filter((k) => cat[k] === (en as Record<string, string>)[k]);
      expect(same.length / Object.keys(en).length, `${lang}: ${same.join(', ')}`).toBeLessThan(0.1);
    }
  });
});

/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import en from './locales/en';
import nl from './locales/nl';
import { formatNumber, resolveLocale, setLocale, t } from './i18n.svelte';
import { DRAFT_PROBLEM_CODES, TARGET_PROBLEM_CODES } from './problem-codes';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Every source file of the UI, as text. */
const sources = import.meta.glob(['../**/*.svelte', '../**/*.ts', '!../**/*.test.ts', '!./bindings.ts', '!./locales/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

function lookup(o: unknown, key: string): unknown {
  return key.split('.').reduce((at: unknown, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), o);
}

describe('i18n', () => {
  it('has every key the UI asks for, in English and in Dutch', () => {
    const missing: string[] = [];
    let asked = 0;
    for (const [file, text] of Object.entries(sources)) {
      // t('a.b') and tOr('a.b', …): a literal key is there, or its plural forms are.
      for (const m of text.matchAll(/\bt(?:Or)?\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        asked++;
        for (const [lang, table] of [['en', en], ['nl', nl]] as const) {
          const key = m[1];
          if (lookup(table, key) === undefined && lookup(table, `${key}_one`) === undefined) missing.push(`${lang}: ${key} (${file})`);
        }
      }
      // t(`a.b.${x}`): the block the key is taken from is there.
      for (const m of text.matchAll(/\bt(?:Or)?\(\s*`([a-zA-Z0-9_.]+)\.\$\{/g)) {
        for (const [lang, table] of [['en', en], ['nl', nl]] as const) {
          if (typeof lookup(table, m[1]) !== 'object') missing.push(`${lang}: ${m[1]}.* (${file})`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(asked, 'keys found in the sources').toBeGreaterThan(300);
  });

  it('words every problem code core gives, in English and in Dutch', () => {
    const missing: string[] = [];
    for (const [block, codes] of [
      ['compose.targetProblem', TARGET_PROBLEM_CODES],
      ['compose.problem', DRAFT_PROBLEM_CODES],
    ] as const) {
      for (const code of codes) {
        for (const [lang, table] of [['en', en], ['nl', nl]] as const) {
          const key = `${block}.${code}`;
          if (lookup(table, key) === undefined && lookup(table, `${key}_one`) === undefined) missing.push(`${lang}: ${key}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('has every English string in Dutch, none empty', () => {
    expect(keys(nl).sort()).toEqual(keys(en).sort());
    for (const k of keys(nl)) expect(k.split('.').reduce((o: any, p) => o[p], nl), k).not.toBe('');
  });

  it('follows the OS language unless one is chosen, and formats numbers for it', async () => {
    expect(resolveLocale('nl-BE')).toBe('nl');
    expect(resolveLocale('fr')).toBe('en');
    await setLocale('nl');
    expect(t('nav.outbox')).toBe('Postvak uit');
    expect(t('compose.queued', { count: 1 })).toBe('In de wachtrij voor 1 account. Volg het in Postvak uit.');
    expect(formatNumber(1234.5)).toBe('1.234,5');
    await setLocale('en');
    expect(formatNumber(1234.5)).toBe('1,234.5');
    expect(t('compose.queued', { count: 3 })).toBe('Queued for 3 accounts. Follow it in the Outbox.');
  });

  it('shows a WhatsApp template’s placeholder with its braces', async () => {
    expect(t('whatsapp.value', { n: 2 })).toBe('Value for {{2}}');
    expect(t('compose.targetProblem.template_value_missing', { n: '1' })).toBe('The template needs a value for {{1}}');
    await setLocale('nl');
    expect(t('whatsapp.value', { n: 2 })).toBe('Waarde voor {{2}}');
    await setLocale('en');
  });
});

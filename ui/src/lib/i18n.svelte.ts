// The one i18n layer: i18next for lookup and plurals, Intl for dates, times and numbers, and a
// rune so every `t(…)` in a template re-renders when the language changes.
import i18next from 'i18next';
import en from './locales/en';
import nl from './locales/nl';

export const LANGUAGES = ['en', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

// `version` changes on every switch, so text re-renders even when the language stays the same.
const current = $state({ locale: 'en' as Language, version: 0 });

/** `system` → the OS language (navigator.language) if Fanout has it, else English. */
export function resolveLocale(setting: string): Language {
  const tag = (setting === 'system' ? navigator.language : setting).toLowerCase();
  return (LANGUAGES.find((l) => tag === l || tag.startsWith(`${l}-`)) ?? 'en') as Language;
}

// Resources are bundled, so initialisation is synchronous: the first render already has text.
void i18next.init({
  lng: 'en',
  fallbackLng: 'en',
  resources: { en: { translation: en }, nl: { translation: nl } },
  interpolation: { escapeValue: false }, // Svelte escapes; values are never HTML.
  initAsync: false,
  showSupportNotice: false,
});
// `{{n, placeholder}}` shows a template's own placeholder, e.g. {{1}}: the braces cannot be
// written around `{{n}}` in a string, as i18next would read `{{{{n}}` as the variable.
i18next.services.formatter?.add('placeholder', (value) => `{{${value}}}`);

export async function setLocale(setting: string): Promise<void> {
  const locale = resolveLocale(setting);
  await i18next.changeLanguage(locale);
  current.locale = locale;
  current.version += 1;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

export function locale(): Language {
  return current.locale;
}

export function t(key: string, options?: Record<string, unknown>): string {
  void current.version; // a reactive dependency on the language
  return i18next.t(key, options) as string;
}

/** `key` if this language has it, else `fallback` (a message from core in English). */
export function tOr(key: string, fallback: string, options?: Record<string, unknown>): string {
  void current.version;
  return i18next.exists(key) ? (i18next.t(key, options) as string) : fallback;
}

export function formatDateTime(ms: number, style: 'short' | 'medium' = 'short'): string {
  return new Intl.DateTimeFormat(current.locale, { dateStyle: style, timeStyle: 'short' }).format(new Date(ms));
}

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(current.locale, { timeStyle: 'short' }).format(new Date(ms));
}

export function formatDay(ms: number, options: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(current.locale, options).format(new Date(ms));
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(current.locale).format(n);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(current.locale, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

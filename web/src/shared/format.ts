import type { Lang } from '../i18n';

/**
 * The browser's own locale when it speaks the UI language (en-GB stays en-GB), otherwise the UI language;
 * times are always shown in the browser's time zone.
 */
function displayLocale(lang: Lang): string {
  const preferred = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);
  const match = preferred.find((l) => l?.toLowerCase().startsWith(lang));
  return match ?? (lang === 'en' ? 'en-US' : 'zh-CN');
}

/**
 * Building an Intl formatter costs far more than using one (a long table or a profile formats hundreds of
 * values): each locale and option set is built once.
 */
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function memo<F extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, build: () => F): F {
  const known = formatters.get(key);
  if (known) return known as F;
  const made = build();
  formatters.set(key, made);
  return made;
}
export function dateFormat(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return memo(`d|${locale}|${JSON.stringify(opts)}`, () => new Intl.DateTimeFormat(locale, opts));
}
function numberFormat(locale: string, opts: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return memo(`n|${locale}|${JSON.stringify(opts)}`, () => new Intl.NumberFormat(locale, opts));
}

export function formatDateTime(
  value: string | null | undefined,
  lang: Lang,
  opts: { seconds?: boolean } = {},
): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return dateFormat(displayLocale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(opts.seconds ? { second: '2-digit' } : {}),
  }).format(date);
}

export function formatDate(value: string | null | undefined, lang: Lang): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return dateFormat(displayLocale(lang), { year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

export function formatNumber(value: number, lang: Lang): string {
  return numberFormat(displayLocale(lang)).format(value);
}

/** An amount in fen as yuan (¥1,234 or ¥1,234.50): whole yuan without decimals, otherwise two. */
export function formatMoney(fen: number, lang: Lang): string {
  const whole = fen % 100 === 0;
  return numberFormat(displayLocale(lang), {
    style: 'currency',
    currency: 'CNY',
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: whole ? 0 : 2,
  }).format(fen / 100);
}

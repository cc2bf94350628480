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

export function formatDateTime(
  value: string | null | undefined,
  lang: Lang,
  opts: { seconds?: boolean } = {},
): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(displayLocale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: opts.seconds ? '2-digit' : undefined,
  }).format(date);
}

export function formatDate(value: string | null | undefined, lang: Lang): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(displayLocale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

export function formatNumber(value: number, lang: Lang): string {
  return new Intl.NumberFormat(displayLocale(lang)).format(value);
}

/** An amount in fen as yuan (¥1,234 or ¥1,234.50): whole yuan without decimals, otherwise two. */
export function formatMoney(fen: number, lang: Lang): string {
  const whole = fen % 100 === 0;
  return new Intl.NumberFormat(displayLocale(lang), {
    style: 'currency',
    currency: 'CNY',
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: whole ? 0 : 2,
  }).format(fen / 100);
}

import i18n from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import * as app from './app/strings';
import * as accounts from './features/accounts/strings';
import * as audit from './features/audit/strings';
import * as channels from './features/channels/strings';
import * as connector from './features/connector/strings';
import * as content from './features/content/strings';
import * as customers from './features/customers/strings';
import * as groups from './features/groups/strings';
import * as insight from './features/insight/strings';
import * as journeys from './features/journeys/strings';
import * as moments from './features/moments/strings';
import * as orders from './features/orders/strings';
import * as org from './features/org/strings';
import * as outreach from './features/outreach/strings';
import * as secrets from './features/secrets/strings';
import * as segments from './features/segments/strings';
import * as sidebar from './features/sidebar/strings';
import * as staff from './features/staff/strings';
import * as tags from './features/tags/strings';
import * as tasks from './features/tasks/strings';
import * as transfers from './features/transfers/strings';
import { setApiLanguage } from './shared/api/client';
import * as shared from './shared/strings';

/** Every string of the console, joined from each part's own namespaces (top-level keys). */
const zh = {
  ...shared.zh,
  ...app.zh,
  ...accounts.zh,
  ...org.zh,
  ...staff.zh,
  ...customers.zh,
  ...tags.zh,
  ...channels.zh,
  ...connector.zh,
  ...orders.zh,
  ...segments.zh,
  ...audit.zh,
  ...tasks.zh,
  ...sidebar.zh,
  ...content.zh,
  ...outreach.zh,
  ...groups.zh,
  ...transfers.zh,
  ...secrets.zh,
  ...insight.zh,
  ...journeys.zh,
  ...moments.zh,
};
const en: typeof zh = {
  ...shared.en,
  ...app.en,
  ...accounts.en,
  ...org.en,
  ...staff.en,
  ...customers.en,
  ...tags.en,
  ...channels.en,
  ...connector.en,
  ...orders.en,
  ...segments.en,
  ...audit.en,
  ...tasks.en,
  ...sidebar.en,
  ...content.en,
  ...outreach.en,
  ...groups.en,
  ...transfers.en,
  ...secrets.en,
  ...insight.en,
  ...journeys.en,
  ...moments.en,
};

export type Messages = typeof zh;

export type Lang = 'zh' | 'en';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
  }
}

/** localStorage key holding the chosen language: 'zh-CN' or 'en' (the Accept-Language sent to the server). */
export const LANG_KEY = 'siyu.lang';

function storedLang(): Lang {
  try {
    const value = window.localStorage.getItem(LANG_KEY);
    return value?.toLowerCase().startsWith('en') ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

function applyLang(lang: Lang) {
  setApiLanguage(lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

const initial = storedLang();
applyLang(initial);

void i18n.use(initReactI18next).init({
  resources: { zh: { translation: zh }, en: { translation: en } },
  lng: initial,
  fallbackLng: 'zh',
  interpolation: { escapeValue: false },
});

export function currentLang(): Lang {
  return i18n.language === 'en' ? 'en' : 'zh';
}

export async function changeLang(lang: Lang) {
  try {
    window.localStorage.setItem(LANG_KEY, lang === 'en' ? 'en' : 'zh-CN');
  } catch {
    // private mode: the choice lasts for this page only
  }
  applyLang(lang);
  await i18n.changeLanguage(lang);
}

export default i18n;

/** The UI language, re-rendering on change. */
export function useLang(): Lang {
  const { i18n: instance } = useTranslation();
  return instance.language === 'en' ? 'en' : 'zh';
}

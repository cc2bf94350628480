import { createHash, randomBytes } from 'node:crypto';

/**
 * The JS-SDK signature of wx.config and wx.agentConfig (API-FACTS-2 §7.2, off:90506): SHA-1, lower-case hex,
 * over `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` in exactly this order, with raw (unescaped) values and
 * the page URL without its `#` fragment. agentConfig signs the same way with the agent ticket.
 */
export function jsapiSignature(input: {
  ticket: string;
  nonceStr: string;
  timestamp: number | string;
  url: string;
}) {
  const url = signedUrl(input.url);
  const string1 = `jsapi_ticket=${input.ticket}&noncestr=${input.nonceStr}&timestamp=${input.timestamp}&url=${url}`;
  return createHash('sha1').update(string1, 'utf8').digest('hex');
}

/** The URL a page is signed for: everything before the first `#`. */
export const signedUrl = (url: string) => url.split('#')[0] ?? url;

/** A nonceStr like the official samples' (16 letters and digits). */
export function nonceStr(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The entries of the chat toolbar and profile a sidebar is opened from (getContext's `entry`). */
export const CONTEXT_ENTRIES = [
  'contact_profile',
  'single_chat_tools',
  'group_chat_tools',
  'chat_attachment',
  'single_kf_tools',
  'normal',
] as const;
export type ContextEntry = (typeof CONTEXT_ENTRIES)[number];

/** Where getCurExternalContact works (§7.4); getCurExternalChat only in group_chat_tools. */
export const CONTACT_ENTRIES: readonly ContextEntry[] = [
  'contact_profile',
  'single_chat_tools',
  'single_kf_tools',
];
/** Where sendChatMessage works (§7.4). */
export const SEND_ENTRIES: readonly ContextEntry[] = [
  'single_chat_tools',
  'group_chat_tools',
  'chat_attachment',
  'single_kf_tools',
];

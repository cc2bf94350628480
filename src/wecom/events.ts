import { createHash } from 'node:crypto';
import { parseXml, type XmlElement, XmlSyntaxError } from './xml.ts';

/**
 * WeCom callback XML: a safe XML reader, the typed events of API-FACTS §4, their dedup keys, and the
 * inverse builder the simulator uses to push events in WeCom's exact shape.
 */

// ── Errors ─────────────────────────────────────────────────────────────────

export type CallbackErrorReason =
  | 'malformed_xml'
  | 'missing_encrypt'
  | 'missing_param'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'bad_ciphertext'
  | 'receiveid_mismatch';

/** A callback that must be refused. `reason` is stable and safe to log; the message never holds secrets. */
export class CallbackError extends Error {
  override readonly name = 'CallbackError';
  constructor(
    readonly reason: CallbackErrorReason,
    message: string,
  ) {
    super(message);
  }
}

// ── Safe XML reading ───────────────────────────────────────────────────────

/**
 * Flat view of one `<xml>` document. Leaves are strings (CDATA or text, untrimmed); an element whose children
 * are all `<Item>` leaves is a string[]; other nested elements are flattened as `Parent.Child`; the 2nd, 3rd…
 * sibling of the same name gets `Name[1]`, `Name[2]`…. Keys are in document order. Plain (non-CDATA) text
 * has the five predefined XML entities and character references decoded; DTD entities are never expanded.
 */
export type RawFields = Record<string, string | string[]>;

/** Parses a WeCom `<xml>…</xml>` document into flat fields. Throws CallbackError('malformed_xml'). */
export function parseXmlFields(xml: string): RawFields {
  if (typeof xml !== 'string') throw new CallbackError('malformed_xml', 'XML body is not a string');
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError)
      throw new CallbackError('malformed_xml', `invalid XML: ${err.message}`);
    throw err;
  }
  if (root.name !== 'xml') {
    throw new CallbackError('malformed_xml', 'the document must have a single <xml> root element');
  }
  const out: RawFields = {};
  flatten(root, '', out);
  return out;
}

/** A leaf element's text, or undefined when it has element children. */
function leafText(element: XmlElement): string | undefined {
  let text = '';
  for (const c of element.children) {
    if (typeof c !== 'string') return undefined;
    text += c;
  }
  return text;
}

function flatten(parent: XmlElement, prefix: string, out: RawFields): void {
  const seen = new Map<string, number>();
  for (const node of parent.children) {
    if (typeof node === 'string') continue; // whitespace between elements (mixed text is not a WeCom shape)
    const n = seen.get(node.name) ?? 0;
    seen.set(node.name, n + 1);
    const key = `${prefix}${node.name}${n > 0 ? `[${n}]` : ''}`;
    const text = leafText(node);
    if (text !== undefined) {
      out[key] = text;
      continue;
    }
    const elems = node.children.filter((c): c is XmlElement => typeof c !== 'string');
    const items = elems.map((c) => (c.name === 'Item' ? leafText(c) : undefined));
    if (items.every((t) => t !== undefined)) {
      out[key] = items as string[];
    } else {
      flatten(node, `${key}.`, out);
    }
  }
}

// ── Typed events (API-FACTS §4) ────────────────────────────────────────────

interface EventBase {
  /** ToUserName: the corpid. */
  corpId: string;
  /** FromUserName: `sys` for events, the sender's userid for messages. */
  fromUserName: string;
  /** CreateTime, in seconds. */
  createTime: number;
  /** Every field of the inner XML (see RawFields). */
  raw: RawFields;
}

interface ContactEventBase extends EventBase {
  /** UserID: the member. */
  userId: string;
  externalUserId: string;
}

/** `change_external_contact` / `add_external_contact`: a member added a customer, or the reverse. */
export interface AddExternalContactEvent extends ContactEventBase {
  type: 'add_external_contact';
  /** The «联系我» / join-way `state`, or the acquisition link's `customer_channel`. */
  state?: string;
  /** Present when the welcome message may be sent (within 20 s, once). */
  welcomeCode?: string;
}

/** `add_half_external_contact`: the customer added a skip-verify member who has not confirmed yet. */
export interface AddHalfExternalContactEvent extends ContactEventBase {
  type: 'add_half_external_contact';
  state?: string;
  welcomeCode?: string;
}

/** `edit_external_contact`: remark or corp tags edited (not remark-mobile-only edits). */
export interface EditExternalContactEvent extends ContactEventBase {
  type: 'edit_external_contact';
}

/** `del_external_contact`: the member deleted the customer. */
export interface DelExternalContactEvent extends ContactEventBase {
  type: 'del_external_contact';
  /** `DELETE_BY_TRANSFER` when an on-job transfer removed the old follow. */
  source?: string;
}

/** `del_follow_user`: the customer deleted the member. */
export interface DelFollowUserEvent extends ContactEventBase {
  type: 'del_follow_user';
}

export type TransferFailReason = 'customer_refused' | 'customer_limit_exceed' | (string & {});

/** `transfer_fail`: an on-job takeover failed; `userId` is the takeover member. */
export interface TransferFailEvent extends ContactEventBase {
  type: 'transfer_fail';
  failReason: TransferFailReason;
}

/** `change_external_chat` / `create`. */
export interface ExternalChatCreateEvent extends EventBase {
  type: 'external_chat_create';
  chatId: string;
}

export type ChatUpdateDetail =
  | 'add_member'
  | 'del_member'
  | 'change_owner'
  | 'change_name'
  | 'change_notice'
  | (string & {});

/** `change_external_chat` / `update`. Query `groupchat/get` ~2 s later: the data lags the event. */
export interface ExternalChatUpdateEvent extends EventBase {
  type: 'external_chat_update';
  chatId: string;
  updateDetail: ChatUpdateDetail;
  /** add_member: 0 invite or link, 3 QR (not the API's join_scene values). */
  joinScene?: number;
  /** del_member: 0 left, 1 removed by owner or admin. */
  quitScene?: number;
  memChangeCnt?: number;
  /** Members who joined or left (`<Item>`s; the old comma-separated string is accepted too). */
  memChangeList?: string[];
  lastMemVer?: string;
  curMemVer?: string;
}

/** `change_external_chat` / `dismiss`. */
export interface ExternalChatDismissEvent extends EventBase {
  type: 'external_chat_dismiss';
  chatId: string;
}

/** `change_external_tag` / `create` | `update` | `delete` | `shuffle`. */
export interface ExternalTagEvent extends EventBase {
  type: 'external_tag_create' | 'external_tag_update' | 'external_tag_delete' | 'external_tag_shuffle';
  /** The tag or tag-group id (shuffle: the group whose tags were reordered; empty for all groups). */
  id: string;
  /** `tag` or `tag_group`; absent on shuffle. */
  tagType?: 'tag' | 'tag_group' | (string & {});
  /** Rule-group id, for rule-group tags only. */
  strategyId?: string;
}

/** A plain message to the app (MsgType text, image, voice…); only text has `content`. */
export interface MessageEvent extends EventBase {
  type: 'message';
  msgType: string;
  msgId: string;
  agentId?: string;
  content?: string;
}

/** Anything else that is well-formed: kept whole so it can be parked and looked at, never dropped. */
export interface UnknownEvent extends EventBase {
  type: 'unknown';
  msgType: string;
  event: string | null;
  changeType: string | null;
  /** Every field except the header (ToUserName, FromUserName, CreateTime, MsgType, Event, ChangeType). */
  fields: RawFields;
}

export type WecomEvent =
  | AddExternalContactEvent
  | AddHalfExternalContactEvent
  | EditExternalContactEvent
  | DelExternalContactEvent
  | DelFollowUserEvent
  | TransferFailEvent
  | ExternalChatCreateEvent
  | ExternalChatUpdateEvent
  | ExternalChatDismissEvent
  | ExternalTagEvent
  | MessageEvent
  | UnknownEvent;

export type WecomEventType = WecomEvent['type'];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What buildEventXml and dedupKey accept: any event with `raw` optional (when given, it sets the field order
 * and carries the fields the type does not model) and `fromUserName` optional (default `sys`).
 */
export type WecomEventInput = DistributiveOmit<WecomEvent, 'raw' | 'fromUserName'> & {
  raw?: RawFields;
  fromUserName?: string;
};

// ── Field layout: one table drives both parse and build ────────────────────

/**
 * text: always CDATA · int: bare integer · auto: bare when all digits, else CDATA · token: bare when made of
 * id characters (the samples write member versions bare), else CDATA · items: a list of bare `<Item>`s.
 */
type Kind = 'text' | 'int' | 'auto' | 'token' | 'items';
type Value = string | number | string[] | undefined;
type Entry = readonly [xmlName: string, value: Value, kind: Kind];

const HEADER_KEYS = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Event', 'ChangeType'] as const;

const CONTACT_TYPES = new Set<string>([
  'add_external_contact',
  'add_half_external_contact',
  'edit_external_contact',
  'del_external_contact',
  'del_follow_user',
  'transfer_fail',
]);
const CHAT_CHANGES = {
  create: 'external_chat_create',
  update: 'external_chat_update',
  dismiss: 'external_chat_dismiss',
} as const;
const TAG_CHANGES = {
  create: 'external_tag_create',
  update: 'external_tag_update',
  delete: 'external_tag_delete',
  shuffle: 'external_tag_shuffle',
} as const;

function head(e: WecomEventInput, msgType: string): Entry[] {
  return [
    ['ToUserName', e.corpId, 'text'],
    ['FromUserName', e.fromUserName ?? 'sys', 'text'],
    ['CreateTime', e.createTime, 'int'],
    ['MsgType', msgType, 'text'],
  ];
}

/** The event's fields in WeCom's order (the samples of API-FACTS §4); undefined values are absent. */
function entriesOf(e: WecomEventInput): Entry[] {
  switch (e.type) {
    case 'add_external_contact':
    case 'add_half_external_contact':
    case 'edit_external_contact':
    case 'del_external_contact':
    case 'del_follow_user':
    case 'transfer_fail': {
      const out: Entry[] = [
        ...head(e, 'event'),
        ['Event', 'change_external_contact', 'text'],
        ['ChangeType', e.type, 'text'],
      ];
      if (e.type === 'transfer_fail') out.push(['FailReason', e.failReason, 'text']);
      out.push(['UserID', e.userId, 'text'], ['ExternalUserID', e.externalUserId, 'text']);
      if (e.type === 'add_external_contact' || e.type === 'add_half_external_contact') {
        out.push(['State', e.state, 'text'], ['WelcomeCode', e.welcomeCode, 'text']);
      }
      if (e.type === 'del_external_contact') out.push(['Source', e.source, 'text']);
      return out;
    }
    case 'external_chat_create':
    case 'external_chat_update':
    case 'external_chat_dismiss': {
      const change = e.type.slice('external_chat_'.length);
      const out: Entry[] = [
        ...head(e, 'event'),
        ['Event', 'change_external_chat', 'text'],
        ['ChatId', e.chatId, 'text'],
        ['ChangeType', change, 'text'],
      ];
      if (e.type === 'external_chat_update') {
        out.push(
          ['UpdateDetail', e.updateDetail, 'text'],
          ['JoinScene', e.joinScene, 'int'],
          ['QuitScene', e.quitScene, 'int'],
          ['MemChangeCnt', e.memChangeCnt, 'int'],
          ['MemChangeList', e.memChangeList, 'items'],
          ['LastMemVer', e.lastMemVer, 'token'],
          ['CurMemVer', e.curMemVer, 'token'],
        );
      }
      return out;
    }
    case 'external_tag_create':
    case 'external_tag_update':
    case 'external_tag_delete':
    case 'external_tag_shuffle':
      return [
        ...head(e, 'event'),
        ['Event', 'change_external_tag', 'text'],
        ['Id', e.id, 'text'],
        ['TagType', e.tagType, 'text'],
        ['ChangeType', e.type.slice('external_tag_'.length), 'text'],
        ['StrategyId', e.strategyId, 'auto'],
      ];
    case 'message':
      return [
        ...head(e, e.msgType),
        ['Content', e.content, 'text'],
        ['MsgId', e.msgId, 'auto'],
        ['AgentID', e.agentId, 'auto'],
      ];
    case 'unknown': {
      const out: Entry[] = [...head(e, e.msgType)];
      if (e.event !== null) out.push(['Event', e.event, 'text']);
      if (e.changeType !== null) out.push(['ChangeType', e.changeType, 'text']);
      for (const [k, v] of Object.entries(e.fields)) out.push([k, v, Array.isArray(v) ? 'items' : 'auto']);
      return out;
    }
  }
}

// ── parseEvent ─────────────────────────────────────────────────────────────

function str(raw: RawFields, key: string): string | undefined {
  const v = raw[key];
  return typeof v === 'string' ? v : undefined;
}

function int(raw: RawFields, key: string): number | undefined {
  const v = str(raw, key)?.trim();
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Reads a decrypted callback (the inner XML) into a typed event. Throws CallbackError('malformed_xml') only
 * when the XML itself is broken; a well-formed document that matches no known shape (or misses a field
 * its shape requires) becomes `{ type: 'unknown' }`.
 */
export function parseEvent(innerXml: string): WecomEvent {
  const raw = parseXmlFields(innerXml);
  // MemChangeList is a list of <Item>s now; it used to be a comma-separated CDATA string.
  const mem = raw.MemChangeList;
  if (typeof mem === 'string') {
    raw.MemChangeList = mem
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  const base: EventBase = {
    corpId: str(raw, 'ToUserName') ?? '',
    fromUserName: str(raw, 'FromUserName') ?? '',
    createTime: int(raw, 'CreateTime') ?? 0,
    raw,
  };
  return typed(base, raw) ?? unknown(base, raw);
}

function typed(base: EventBase, raw: RawFields): WecomEvent | undefined {
  const msgType = str(raw, 'MsgType');
  const event = str(raw, 'Event');
  const change = str(raw, 'ChangeType');
  if (msgType !== 'event') {
    const msgId = str(raw, 'MsgId');
    if (msgType === undefined || msgType === '' || !msgId) return undefined;
    return {
      ...base,
      type: 'message',
      msgType,
      msgId: msgId.trim(),
      ...opt('agentId', str(raw, 'AgentID')),
      ...opt('content', str(raw, 'Content')),
    };
  }
  if (event === 'change_external_contact' && change !== undefined && CONTACT_TYPES.has(change)) {
    const userId = str(raw, 'UserID');
    const externalUserId = str(raw, 'ExternalUserID');
    if (userId === undefined || externalUserId === undefined) return undefined;
    const c = { ...base, userId, externalUserId };
    switch (change) {
      case 'add_external_contact':
      case 'add_half_external_contact':
        return {
          ...c,
          type: change,
          ...opt('state', str(raw, 'State')),
          ...opt('welcomeCode', str(raw, 'WelcomeCode')),
        };
      case 'del_external_contact':
        return { ...c, type: change, ...opt('source', str(raw, 'Source')) };
      case 'transfer_fail': {
        const failReason = str(raw, 'FailReason');
        return failReason === undefined ? undefined : { ...c, type: change, failReason };
      }
      case 'edit_external_contact':
      case 'del_follow_user':
        return { ...c, type: change };
    }
    return undefined;
  }
  if (event === 'change_external_chat' && change !== undefined && Object.hasOwn(CHAT_CHANGES, change)) {
    const chatId = str(raw, 'ChatId');
    if (chatId === undefined) return undefined;
    const type = CHAT_CHANGES[change as keyof typeof CHAT_CHANGES];
    if (type !== 'external_chat_update') return { ...base, type, chatId };
    const updateDetail = str(raw, 'UpdateDetail');
    if (updateDetail === undefined) return undefined;
    const list = raw.MemChangeList;
    return {
      ...base,
      type,
      chatId,
      updateDetail,
      ...opt('joinScene', int(raw, 'JoinScene')),
      ...opt('quitScene', int(raw, 'QuitScene')),
      ...opt('memChangeCnt', int(raw, 'MemChangeCnt')),
      ...opt('memChangeList', Array.isArray(list) ? [...list] : undefined),
      ...opt('lastMemVer', str(raw, 'LastMemVer')),
      ...opt('curMemVer', str(raw, 'CurMemVer')),
    };
  }
  if (event === 'change_external_tag' && change !== undefined && Object.hasOwn(TAG_CHANGES, change)) {
    const id = str(raw, 'Id');
    if (id === undefined) return undefined;
    return {
      ...base,
      type: TAG_CHANGES[change as keyof typeof TAG_CHANGES],
      id,
      ...opt('tagType', str(raw, 'TagType')),
      ...opt('strategyId', str(raw, 'StrategyId')?.trim()),
    };
  }
  return undefined;
}

function unknown(base: EventBase, raw: RawFields): UnknownEvent {
  const fields: RawFields = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(HEADER_KEYS as readonly string[]).includes(k)) fields[k] = Array.isArray(v) ? [...v] : v;
  }
  return {
    ...base,
    type: 'unknown',
    msgType: str(raw, 'MsgType') ?? '',
    event: str(raw, 'Event') ?? null,
    changeType: str(raw, 'ChangeType') ?? null,
    fields,
  };
}

// ── dedupKey ───────────────────────────────────────────────────────────────

/** Fields that do not identify an event: WeCom may hand out a fresh one when it redelivers. */
const NOT_IDENTITY = new Set(['WelcomeCode']);

/**
 * The inbox's unique key. Messages: `msg:<MsgId>`. Events: `evt:<Event>/<ChangeType>:<CreateTime>:<hash>`,
 * where the hash (SHA-256, 128 bits) covers FromUserName, CreateTime, Event, ChangeType and every id the
 * event carries (UserID, ExternalUserID, ChatId, Id, TagType, UpdateDetail, MemChangeList, CurMemVer…; all
 * fields for unknown events) but not WelcomeCode. A redelivery gets the same key; two different events in
 * the same second do not collide; the key stays short however long MemChangeList is.
 */
export function dedupKey(event: WecomEventInput): string {
  if (event.type === 'message') return `msg:${event.msgId}`;
  if (
    event.type === 'unknown' &&
    typeof event.fields.MsgId === 'string' &&
    event.fields.MsgId.trim() !== ''
  ) {
    return `msg:${event.fields.MsgId.trim()}`;
  }
  const entries = entriesOf(event)
    .filter(([k, v]) => v !== undefined && !NOT_IDENTITY.has(k))
    .map(([k, v]) => [k, typeof v === 'number' ? String(v) : v] as const);
  if (event.type === 'unknown') entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const get = (k: string) => entries.find(([name]) => name === k)?.[1];
  const label = `${get('Event') ?? get('MsgType') ?? ''}/${get('ChangeType') ?? ''}`;
  const hash = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 32);
  return `evt:${label}:${event.createTime}:${hash}`;
}

// ── buildEventXml ──────────────────────────────────────────────────────────

const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const BARE_SAFE = /^[A-Za-z0-9_@.:+/=-]*$/;

function cdata(s: string): string {
  return `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function body(key: string, value: string | number | string[], kind: Kind): string {
  if (Array.isArray(value)) {
    return value.map((v) => `<Item>${BARE_SAFE.test(v) ? v : cdata(v)}</Item>`).join('');
  }
  const s = String(value);
  if (kind === 'int') {
    if (!/^-?\d+$/.test(s)) throw new RangeError(`${key} must be an integer (got ${s})`);
    return s;
  }
  if (kind === 'auto' && /^-?\d+$/.test(s)) return s;
  if (kind === 'token' && BARE_SAFE.test(s)) return s;
  return cdata(s);
}

function tagName(segment: string, key: string): string {
  const name = segment.replace(/\[\d+\]$/, '');
  if (!TAG_NAME.test(name)) throw new RangeError(`invalid XML field name: ${key}`);
  return name;
}

function emit(entries: Array<readonly [string, string | number | string[], Kind]>): string {
  let out = '<xml>';
  const open: string[] = [];
  for (const [key, value, kind] of entries) {
    const segments = key.split('.');
    const leaf = segments.pop()!;
    let common = 0;
    while (common < open.length && common < segments.length && open[common] === segments[common]) common++;
    while (open.length > common) out += `</${tagName(open.pop()!, key)}>`;
    for (const seg of segments.slice(common)) {
      out += `<${tagName(seg, key)}>`;
      open.push(seg);
    }
    const name = tagName(leaf, key);
    out += `<${name}>${body(key, value, kind)}</${name}>`;
  }
  while (open.length > 0) out += `</${tagName(open.pop()!, '')}>`;
  return `${out}</xml>`;
}

/**
 * The inverse of parseEvent: the inner XML WeCom would send for this event, in WeCom's shape (CDATA for
 * strings, bare numbers, MemChangeList as bare `<Item>`s, fields in the order of the official samples).
 * Typed fields win over `raw`; raw fields the type does not model (e.g. a message's PicUrl) are kept, and
 * when `raw` is given its order is kept. parseEvent(buildEventXml(e)) deep-equals e.
 */
export function buildEventXml(event: WecomEventInput): string {
  const typedEntries = entriesOf(event);
  const present = typedEntries.filter(
    (x): x is readonly [string, string | number | string[], Kind] => x[1] !== undefined,
  );
  if (!event.raw) return emit(present);
  const byKey = new Map(present.map((x) => [x[0], x]));
  const modeled = new Set(typedEntries.map(([k]) => k));
  const out: Array<readonly [string, string | number | string[], Kind]> = [];
  for (const [k, v] of Object.entries(event.raw)) {
    const mine = byKey.get(k);
    if (mine) {
      out.push(mine);
      byKey.delete(k);
    } else if (!modeled.has(k) && event.type !== 'unknown') {
      out.push([k, v, Array.isArray(v) ? 'items' : 'auto']);
    }
  }
  for (const x of present) if (byKey.has(x[0])) out.push(x);
  return emit(out);
}

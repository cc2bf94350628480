import { WecomApiError, WecomNetworkError } from './errors.ts';
import { type HttpCall, httpCall } from './http.ts';
import * as L from './limits.ts';
import {
  ADD_CONTACT_WAY,
  ADD_CORP_TAG,
  ADD_MOMENT_TASK,
  DEL_CONTACT_WAY,
  DEL_CORP_TAG,
  EDIT_CORP_TAG,
  MARK_TAG,
  MESSAGE_SEND,
  REMARK,
  SEND_WELCOME_MSG,
  UPDATE_CONTACT_WAY,
  UPLOAD_ATTACHMENT,
  UPLOAD_MEDIA,
} from './paths.ts';
import { parseStorableJson } from './text.ts';

export { isRetryable, WecomApiError, WecomNetworkError } from './errors.ts';

/**
 * Typed client for WeCom's server API (API-FACTS §1, §3): access_token cache shared by concurrent callers,
 * refetch on token errors, retries with exponential backoff and jitter on retryable errcodes and network
 * failures, a per-API token-bucket rate limiter, and client-side checks of the documented limits.
 *
 * Neither the corp secret nor the access_token is ever logged or put into an error: errors carry the API
 * path, the errcode and WeCom's errmsg (scrubbed of both, should WeCom ever echo them).
 */

export interface WecomClientOptions {
  /** `https://qyapi.weixin.qq.com`, or the simulator's `http://127.0.0.1:PORT`. */
  baseUrl: string;
  corpId: string;
  secret: string;
  /** The HTTP transport; tests pass a fetch (or one wrapping it) to watch or break the wire. */
  fetch?: HttpCall;
  /** Per HTTP attempt, body included. Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt on retryable errors. Default 3 (API-FACTS §1: "retry at most 3 times"). */
  maxRetries?: number;
  /** Injected in tests to record delays instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock in ms, for the token cache and the rate limiter. Default Date.now. */
  now?: () => number;
  /** In [0, 1), for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Calls a minute allowed per API path (WeCom allows 10,000 per corp per API). Default 10,000. */
  rateLimitPerMinute?: number;
  /** First backoff delay; doubles on each retry, capped by retryMaxMs. Default 500 ms. */
  retryBaseMs?: number;
  /** Default 10 s. */
  retryMaxMs?: number;
  /** The token is refetched this long before WeCom says it expires (at most half its lifetime). Default 300 s. */
  tokenMarginSeconds?: number;
}

/** Every WeCom response carries these; errcode 0 means success (a missing errcode is read as 0). */
export interface WecomResponse {
  errcode?: number;
  errmsg?: string;
}

type Query = Record<string, string | number | undefined>;

// ── Shared shapes ──────────────────────────────────────────────────────────

export type Attachment =
  | { msgtype: 'image'; image: { media_id?: string; pic_url?: string } }
  | {
      msgtype: 'link';
      link: { title: string; url: string; picurl?: string; desc?: string; media_id?: string };
    }
  | {
      msgtype: 'miniprogram';
      miniprogram: { title: string; pic_media_id: string; appid: string; page: string };
    }
  | { msgtype: 'video'; video: { media_id: string } }
  | { msgtype: 'file'; file: { media_id: string } };

export interface TextContent {
  content: string;
}

// ── Directory ──────────────────────────────────────────────────────────────

export interface Department {
  id: number;
  name: string;
  name_en?: string;
  department_leader?: string[];
  parentid: number;
  order: number;
}

export interface ListUserIdsResponse extends WecomResponse {
  next_cursor?: string;
  dept_user: { userid: string; department: number }[];
}

/** `user/get`. Since 2022-06-20 new apps no longer receive mobile, gender, avatar and other sensitive fields. */
export interface WecomUser extends WecomResponse {
  userid: string;
  name: string;
  department: number[];
  position?: string;
  mobile?: string;
  gender?: string;
  avatar?: string;
  /** The member's personal QR (员工个人二维码), a URL. */
  qr_code?: string;
  /** 1 active, 2 disabled, 4 not activated, 5 resigned. */
  status: number;
  main_department?: number;
  [extra: string]: unknown;
}

// ── Customers ──────────────────────────────────────────────────────────────

export interface ExternalContact {
  external_userid: string;
  name: string;
  position?: string;
  avatar?: string;
  corp_name?: string;
  corp_full_name?: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: 1 | 2;
  /** 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2;
  unionid?: string;
  external_profile?: unknown;
}

export interface FollowUserTag {
  group_name?: string;
  tag_name: string;
  /** 1 corp tag, 2 personal tag (no tag_id), 3 rule-group tag. */
  type: 1 | 2 | 3;
  tag_id?: string;
}

interface FollowCommon {
  userid: string;
  remark?: string;
  description?: string;
  createtime: number;
  remark_corp_name?: string;
  remark_mobiles?: string[];
  oper_userid?: string;
  /** See API-FACTS §3 add_way table. */
  add_way?: number;
  state?: string;
  wechat_channels?: { nickname: string; source?: number };
}

/** A follow as returned by `get`. */
export interface FollowUser extends FollowCommon {
  tags?: FollowUserTag[];
}

/** A follow as returned by `batch/get_by_user` (corp tag ids only). */
export interface FollowInfo extends FollowCommon {
  tag_id?: string[];
}

export interface GetExternalContactResponse extends WecomResponse {
  external_contact: ExternalContact;
  follow_user: FollowUser[];
  next_cursor?: string;
}

export interface BatchExternalContact {
  external_contact: ExternalContact;
  follow_info: FollowInfo;
}

export interface BatchGetByUserRequest {
  userid_list: string[];
  cursor?: string;
  limit?: number;
}

export interface BatchGetByUserResponse extends WecomResponse {
  external_contact_list: BatchExternalContact[];
  next_cursor?: string;
}

export interface RemarkRequest {
  userid: string;
  external_userid: string;
  remark?: string;
  description?: string;
  remark_company?: string;
  remark_mobiles?: string[];
  remark_pic_mediaid?: string;
}

// ── Corp tags ──────────────────────────────────────────────────────────────

export interface CorpTag {
  id: string;
  name: string;
  create_time: number;
  order: number;
  deleted?: boolean;
}

export interface CorpTagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  deleted?: boolean;
  tag: CorpTag[];
}

export interface AddCorpTagRequest {
  group_id?: string;
  group_name?: string;
  order?: number;
  tag: { name: string; order?: number }[];
  agentid?: number;
}

export interface EditCorpTagRequest {
  id: string;
  name?: string;
  order?: number;
  agentid?: number;
}

export interface DelCorpTagRequest {
  tag_id?: string[];
  group_id?: string[];
  agentid?: number;
}

export interface MarkTagRequest {
  userid: string;
  external_userid: string;
  add_tag?: string[];
  remove_tag?: string[];
}

// ── «联系我» ───────────────────────────────────────────────────────────────

export interface ContactWayConclusions {
  text?: TextContent;
  image?: { media_id?: string; pic_url?: string };
  link?: { title: string; url: string; picurl?: string; desc?: string };
  miniprogram?: { title: string; pic_media_id: string; appid: string; page: string };
}

export interface AddContactWayRequest {
  /** 1 single member, 2 several (required: 41037 without it). */
  type: 1 | 2;
  /** 1 mini-program, 2 QR code. */
  scene: 1 | 2;
  style?: number;
  remark?: string;
  skip_verify?: boolean;
  state?: string;
  user?: string[];
  party?: number[];
  is_temp?: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  is_exclusive?: boolean;
  mark_source?: boolean;
  conclusions?: ContactWayConclusions;
}

export interface AddContactWayResponse extends WecomResponse {
  config_id: string;
  /** Scene 2 only. */
  qr_code?: string;
}

export interface ContactWay extends AddContactWayRequest {
  config_id: string;
  qr_code?: string;
}

/** `update_contact_way` overwrites `user` and `party`. */
export type UpdateContactWayRequest = { config_id: string } & Partial<
  Omit<AddContactWayRequest, 'type' | 'scene' | 'is_temp'>
>;

export interface ListContactWayRequest {
  start_time?: number;
  end_time?: number;
  cursor?: string;
  limit?: number;
}

export interface ListContactWayResponse extends WecomResponse {
  contact_way: { config_id: string }[];
  next_cursor?: string;
}

// ── Welcome and mass messages ──────────────────────────────────────────────

export interface SendWelcomeMsgRequest {
  welcome_code: string;
  text?: TextContent;
  attachments?: Attachment[];
}

/** 发送应用消息 (`message/send`): to members (`touser` userids `|`-separated, or `@all`), departments, tags. */
export type AppMessageRequest = {
  agentid: number;
  touser?: string;
  toparty?: string;
  totag?: string;
  safe?: 0 | 1;
  enable_duplicate_check?: 0 | 1;
  /** Seconds, default 1800, at most 4 h. */
  duplicate_check_interval?: number;
} & (
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } }
);

/** Some recipients invalid: sent to the rest, the invalid ones named here (lower-cased userids). */
/** auth/getuserinfo's answer: lower-case keys (the legacy user/getuserinfo answers UserId/OpenId). */
export interface OauthUserInfo extends WecomResponse {
  userid?: string;
  user_ticket?: string;
  openid?: string;
  external_userid?: string;
}

export interface JsapiTicket extends WecomResponse {
  ticket: string;
  expires_in: number;
}

export interface AppMessageResponse extends WecomResponse {
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  msgid: string;
}

export interface AddMsgTemplateRequest {
  chat_type?: 'single' | 'group';
  external_userid?: string[];
  chat_id_list?: string[];
  tag_filter?: { group_list: { tag_list: string[] }[] };
  sender?: string;
  allow_select?: boolean;
  text?: TextContent;
  attachments?: Attachment[];
}

export interface AddMsgTemplateResponse extends WecomResponse {
  fail_list?: string[];
  msgid: string;
}

export interface GetGroupMsgListV2Request {
  chat_type: 'single' | 'group';
  start_time: number;
  end_time: number;
  creator?: string;
  /** 0 corp, 1 personal, 2 all. */
  filter_type?: 0 | 1 | 2;
  limit?: number;
  cursor?: string;
}

export interface GroupMsg {
  msgid: string;
  creator?: string;
  create_time: number | string;
  /** 0 corp, 1 personal. */
  create_type: 0 | 1;
  text?: TextContent;
  attachments?: Attachment[];
}

export interface GetGroupMsgListV2Response extends WecomResponse {
  next_cursor?: string;
  group_msg_list: GroupMsg[];
}

export interface GetGroupMsgTaskRequest {
  msgid: string;
  limit?: number;
  cursor?: string;
}

export interface GetGroupMsgTaskResponse extends WecomResponse {
  next_cursor?: string;
  /** status: 0 unsent, 2 sent. */
  task_list: { userid: string; status: number; send_time?: number }[];
}

export interface GetGroupMsgSendResultRequest {
  msgid: string;
  userid: string;
  limit?: number;
  cursor?: string;
}

export interface GetGroupMsgSendResultResponse extends WecomResponse {
  next_cursor?: string;
  /** status: 0 unsent, 1 sent, 2 not a friend, 3 already received another 群发. */
  send_list: {
    external_userid?: string;
    chat_id?: string;
    userid: string;
    status: number;
    send_time?: number;
  }[];
}

// ── Customer groups ────────────────────────────────────────────────────────

export interface ListGroupChatsRequest {
  /** 0 all, 1 离职待继承, 2 继承中, 3 继承完成. */
  status_filter?: 0 | 1 | 2 | 3;
  owner_filter?: { userid_list: string[] };
  cursor?: string;
  limit: number;
}

export interface ListGroupChatsResponse extends WecomResponse {
  group_chat_list: { chat_id: string; status: number }[];
  next_cursor?: string;
}

export interface GroupChatMember {
  userid: string;
  /** 1 corp member, 2 external contact. */
  type: 1 | 2;
  unionid?: string;
  join_time: number;
  /** 1 direct invite, 2 invite link, 3 group QR code. */
  join_scene: number;
  invitor?: { userid: string };
  group_nickname?: string;
  /** Only with need_name=1. */
  name?: string;
  state?: string;
}

export interface GroupChat {
  chat_id: string;
  name: string;
  owner: string;
  create_time: number;
  notice?: string;
  member_list: GroupChatMember[];
  admin_list?: { userid: string }[];
  member_version?: string;
}

export interface AddJoinWayRequest {
  /** 1 mini-program plugin, 2 QR code. */
  scene: 1 | 2;
  remark?: string;
  auto_create_room?: 0 | 1;
  room_base_name?: string;
  room_base_id?: number;
  chat_id_list: string[];
  state?: string;
  mark_source?: boolean;
}

export interface JoinWay extends AddJoinWayRequest {
  config_id: string;
  qr_code?: string;
}

/** `update_join_way` overwrites the way. */
export type UpdateJoinWayRequest = AddJoinWayRequest & { config_id: string };

// ── Transfers ──────────────────────────────────────────────────────────────

export interface TransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  external_userid: string[];
  transfer_success_msg?: string;
}

export type ResignedTransferCustomerRequest = Omit<TransferCustomerRequest, 'transfer_success_msg'>;

export interface TransferCustomerResponse extends WecomResponse {
  /** errcode 0 only means the takeover started; it completes after 24 h. */
  customer: { external_userid: string; errcode: number }[];
}

export interface TransferResultRequest {
  handover_userid: string;
  takeover_userid: string;
  cursor?: string;
}

export interface TransferResultResponse extends WecomResponse {
  /** status: 1 done, 2 waiting, 3 refused, 4 over limit, 5 no record. */
  customer: { external_userid: string; status: number; takeover_time: number }[];
  next_cursor?: string;
}

export interface GetUnassignedListRequest {
  page_id?: number;
  page_size?: number;
  cursor?: string;
}

export interface GetUnassignedListResponse extends WecomResponse {
  info: { handover_userid: string; external_userid: string; dimission_time: number }[];
  is_last: boolean;
  next_cursor?: string;
}

export interface TransferGroupChatsRequest {
  chat_id_list: string[];
  new_owner: string;
}

export interface TransferGroupChatsResponse extends WecomResponse {
  failed_chat_list?: { chat_id: string; errcode: number; errmsg: string }[];
}

// ── Validation of documented limits ────────────────────────────────────────

function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function maxChars(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && chars(value) > max) {
    throw new RangeError(`${field} must be at most ${max} characters (got ${chars(value)})`);
  }
}

function maxBytes(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && Buffer.byteLength(value, 'utf8') > max) {
    throw new RangeError(`${field} must be at most ${max} bytes (got ${Buffer.byteLength(value, 'utf8')})`);
  }
}

function countIn(field: string, list: readonly unknown[] | undefined, min: number, max: number): void {
  const n = list?.length ?? 0;
  if (list !== undefined && (n < min || n > max)) {
    throw new RangeError(
      `${field} must hold ${min === 0 ? `at most ${max}` : `${min} to ${max}`} entries (got ${n})`,
    );
  }
}

function intIn(field: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max} (got ${value})`);
  }
}

function required(field: string, ok: boolean, why = 'is required'): void {
  if (!ok) throw new RangeError(`${field} ${why}`);
}

function checkMessage(
  text: TextContent | undefined,
  attachments: Attachment[] | undefined,
  maxText: number,
  maxAtt: number,
): void {
  maxBytes('text.content', text?.content, maxText);
  countIn('attachments', attachments, 0, maxAtt);
}

function checkContactWay(r: Partial<AddContactWayRequest>): void {
  maxChars('state', r.state, L.CONTACT_WAY_STATE_MAX_CHARS);
  maxChars('remark', r.remark, L.CONTACT_WAY_REMARK_MAX_CHARS);
  countIn('user', r.user, 0, L.CONTACT_WAY_MAX_USERS);
  intIn('expires_in', r.expires_in, 1, L.CONTACT_WAY_MAX_EXPIRES_IN_SECONDS);
  intIn('chat_expires_in', r.chat_expires_in, 1, L.CONTACT_WAY_MAX_CHAT_EXPIRES_IN_SECONDS);
}

function checkJoinWay(r: AddJoinWayRequest): void {
  required('scene', r.scene === 1 || r.scene === 2, 'must be 1 or 2');
  countIn('chat_id_list', r.chat_id_list ?? [], 1, L.JOIN_WAY_MAX_CHAT_IDS);
  maxChars('state', r.state, L.CONTACT_WAY_STATE_MAX_CHARS);
  maxChars('room_base_name', r.room_base_name, L.JOIN_WAY_ROOM_BASE_NAME_MAX_CHARS);
}

// ── The client ─────────────────────────────────────────────────────────────

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Reservation-style token bucket: a caller takes a token now and waits until the bucket would have had it. */
class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
    this.perMs = capacity / 60_000;
  }

  /** Takes one call; returns how long to wait before making it (0 when within the limit). */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.perMs);
  }
}

/** A file sent as multipart/form-data in the part WeCom names `media` (media/upload, upload_attachment). */
export class MultipartFile {
  readonly contentType: string;
  readonly bytes: Uint8Array;
  constructor(
    file: { filename: string; contentType: string; data: Uint8Array },
    boundary = randomBoundary(),
  ) {
    const safeName = file.filename.replace(/["\r\n]/g, '_');
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="${safeName}"; filelength=${file.data.byteLength}\r\n` +
        `Content-Type: ${file.contentType}\r\n\r\n`,
    );
    this.bytes = Buffer.concat([head, file.data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    this.contentType = `multipart/form-data; boundary=${boundary}`;
  }
}

function randomBoundary(): string {
  return `----siyu${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

export interface UploadAttachmentResponse extends WecomResponse {
  type: string;
  media_id: string;
  created_at: string;
}

export interface MomentAttachment {
  msgtype: 'image' | 'video' | 'link';
  image?: { media_id: string };
  video?: { media_id: string };
  link?: { title: string; url: string; media_id: string };
}

export interface AddMomentTaskRequest {
  text?: { content: string };
  attachments?: MomentAttachment[];
  visible_range?: {
    sender_list?: { user_list?: string[]; department_list?: number[] };
    external_contact_list?: { tag_list: string[] };
  };
}

export interface MomentTaskResult extends WecomResponse {
  /** 1 started, 2 in progress, 3 done. */
  status: number;
  type: string;
  result?: {
    errcode: number;
    errmsg: string;
    moment_id?: string;
    invalid_sender_list?: { user_list?: string[]; department_list?: number[] };
    invalid_external_contact_list?: { tag_list?: string[] };
  };
}

export interface MomentInteraction {
  userid?: string;
  external_userid?: string;
  create_time: number;
}

const TOKEN_PATH = '/cgi-bin/gettoken';
const EC = '/cgi-bin/externalcontact';

export class WecomClient {
  readonly corpId: string;
  private readonly baseUrl: string;
  readonly #secret: string;
  private readonly fetchImpl: HttpCall;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly rateLimitPerMinute: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly tokenMarginSeconds: number;
  private readonly buckets = new Map<string, TokenBucket>();
  #cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;
  /** Tokens handed out so far, only to scrub them from errmsg. (#private: util.inspect never shows these.) */
  readonly #seenTokens = new Set<string>();

  constructor(opts: WecomClientOptions) {
    if (!opts.baseUrl) throw new RangeError('baseUrl is required');
    if (!opts.corpId) throw new RangeError('corpId is required');
    if (!opts.secret) throw new RangeError('secret is required');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.corpId = opts.corpId;
    this.#secret = opts.secret;
    this.fetchImpl = opts.fetch ?? httpCall;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? L.SYSTEM_BUSY_MAX_RETRIES;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.rateLimitPerMinute = opts.rateLimitPerMinute ?? L.API_CALLS_PER_MINUTE;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    this.tokenMarginSeconds = opts.tokenMarginSeconds ?? 300;
    if (!(this.rateLimitPerMinute > 0)) throw new RangeError('rateLimitPerMinute must be positive');
  }

  /** Don't print the secret or token when someone logs the client. */
  toJSON(): { corpId: string; baseUrl: string } {
    return { corpId: this.corpId, baseUrl: this.baseUrl };
  }

  // ── Token ────────────────────────────────────────────────────────────────

  /** The cached access_token, fetched when missing or about to expire; concurrent callers share one fetch. */
  async getAccessToken(): Promise<string> {
    const c = this.#cached;
    if (c && this.now() < c.expiresAt) return c.token;
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** Forget the cached token (only if it is still `token`, so a fresh one fetched meanwhile survives). */
  invalidateToken(token?: string): void {
    if (token === undefined || this.#cached?.token === token) this.#cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const res = await this.call<WecomResponse & { access_token?: string; expires_in?: number }>(
      'GET',
      TOKEN_PATH,
      { corpid: this.corpId, corpsecret: this.#secret },
      undefined,
      false,
    );
    const token = res.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new WecomNetworkError(TOKEN_PATH, 'bad_response', 'gettoken returned no access_token');
    }
    this.#seenTokens.add(token);
    const ttl =
      typeof res.expires_in === 'number' && res.expires_in > 0 ? res.expires_in : L.ACCESS_TOKEN_TTL_SECONDS;
    const margin = Math.min(this.tokenMarginSeconds, ttl / 2);
    this.#cached = { token, expiresAt: this.now() + (ttl - margin) * 1000 };
    return token;
  }

  // ── Generic calls ────────────────────────────────────────────────────────

  /** GET `path` (e.g. `/cgi-bin/user/get`) with the access_token and `query`. */
  get<T extends WecomResponse = WecomResponse>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', path, query, undefined, true);
  }

  /** POST JSON `body` to `path` with the access_token in the query string. */
  post<T extends WecomResponse = WecomResponse>(path: string, body: unknown, query: Query = {}): Promise<T> {
    return this.call<T>('POST', path, query, body, true);
  }

  private async call<T extends WecomResponse>(
    method: 'GET' | 'POST',
    path: string,
    query: Query,
    body: unknown,
    auth: boolean,
    /**
     * A call WeCom must not get twice (it makes a new task each time): after a network error (no answer,
     * which WeCom may have acted on) it is not sent again here; the caller finds out what WeCom did.
     */
    notTwice = false,
  ): Promise<T> {
    let retries = 0;
    let tokenRefetched = false;
    for (;;) {
      const token = auth ? await this.getAccessToken() : undefined;
      try {
        return await this.attempt<T>(method, path, query, body, token);
      } catch (err) {
        if (!(err instanceof WecomApiError)) throw err;
        if (notTwice && err instanceof WecomNetworkError) throw err;
        if (err.tokenInvalid && auth && !tokenRefetched) {
          tokenRefetched = true;
          this.invalidateToken(token);
          continue;
        }
        if (err.retryable && retries < this.maxRetries) {
          await this.sleep(this.backoff(retries));
          retries++;
          continue;
        }
        throw err;
      }
    }
  }

  /** Exponential backoff with jitter: the n-th retry waits between half and all of base·2ⁿ (capped). */
  private backoff(n: number): number {
    const d = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** n);
    return Math.round(d / 2 + (this.random() * d) / 2);
  }

  private async throttle(path: string): Promise<void> {
    let bucket = this.buckets.get(path);
    if (!bucket) {
      bucket = new TokenBucket(this.rateLimitPerMinute, this.now());
      this.buckets.set(path, bucket);
    }
    const wait = bucket.take(this.now());
    if (wait > 0) await this.sleep(wait);
  }

  private async attempt<T extends WecomResponse>(
    method: 'GET' | 'POST',
    path: string,
    query: Query,
    body: unknown,
    token: string | undefined,
  ): Promise<T> {
    await this.throttle(path);
    const params = new URLSearchParams();
    if (token !== undefined) params.set('access_token', token);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const url = `${this.baseUrl}${path}?${params.toString()}`;

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(url, {
        method,
        headers:
          body === undefined
            ? undefined
            : { 'content-type': body instanceof MultipartFile ? body.contentType : 'application/json' },
        body:
          body === undefined ? undefined : body instanceof MultipartFile ? body.bytes : JSON.stringify(body),
        signal: controller.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (timedOut) throw new WecomNetworkError(path, 'timeout', `no response within ${this.timeoutMs} ms`);
      throw new WecomNetworkError(path, 'network', this.scrub(networkDetail(err)));
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status > 299) {
      throw new WecomNetworkError(path, 'http_status', `HTTP ${status}`, status);
    }
    let json: unknown;
    try {
      // WeCom's text (a nickname, a remark) reaches the database: made storable here, once for every read
      json = parseStorableJson(text);
    } catch {
      throw new WecomNetworkError(path, 'bad_response', 'the response is not JSON');
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new WecomNetworkError(path, 'bad_response', 'the response is not a JSON object');
    }
    const r = json as WecomResponse;
    const errcode = r.errcode === undefined ? 0 : Number(r.errcode);
    if (errcode !== 0) {
      throw new WecomApiError(
        path,
        Number.isFinite(errcode) ? errcode : -1,
        this.scrub(String(r.errmsg ?? '')),
      );
    }
    return json as T;
  }

  /** Removes the secret and any access_token from text bound for an error message. */
  private scrub(s: string): string {
    let out = s.replace(/(access_token|corpsecret)=[^&\s"']*/gi, '$1=***');
    for (const secret of [this.#secret, ...this.#seenTokens]) {
      if (secret) out = out.split(secret).join('***');
    }
    return out;
  }

  // ── Directory ────────────────────────────────────────────────────────────

  /** GET /cgi-bin/department/list: the department and its sub-departments (all visible ones without id). */
  async listDepartments(id?: number): Promise<{ department: Department[] }> {
    return this.get<WecomResponse & { department: Department[] }>('/cgi-bin/department/list', { id });
  }

  /** POST /cgi-bin/user/list_id (contacts-sync secret only): userid ↔ department rows, cursor-paged. */
  async listUserIds(cursor?: string, limit?: number): Promise<ListUserIdsResponse> {
    intIn('limit', limit, 1, L.USER_LIST_ID_MAX_LIMIT);
    return this.post<ListUserIdsResponse>('/cgi-bin/user/list_id', { cursor, limit });
  }

  /** GET /cgi-bin/user/get. */
  async getUser(userid: string): Promise<WecomUser> {
    return this.get<WecomUser>('/cgi-bin/user/get', { userid });
  }

  // ── Customers ────────────────────────────────────────────────────────────

  /** Members with the customer-contact permission (within the app's visible range). */
  async getFollowUserList(): Promise<{ follow_user: string[] }> {
    return this.get<WecomResponse & { follow_user: string[] }>(`${EC}/get_follow_user_list`);
  }

  /** One member's customers (no paging). */
  async listExternalContacts(userid: string): Promise<{ external_userid: string[] }> {
    return this.get<WecomResponse & { external_userid: string[] }>(`${EC}/list`, { userid });
  }

  /** One customer and its follows; `cursor` pages follows beyond 500. */
  async getExternalContact(external_userid: string, cursor?: string): Promise<GetExternalContactResponse> {
    return this.get<GetExternalContactResponse>(`${EC}/get`, { external_userid, cursor });
  }

  /** Customers of up to 100 members, one follow per row, cursor-paged (≤100 a page). */
  async batchGetByUser(req: BatchGetByUserRequest): Promise<BatchGetByUserResponse> {
    countIn('userid_list', req.userid_list, 1, L.BATCH_GET_BY_USER_MAX_USERIDS);
    intIn('limit', req.limit, 1, L.BATCH_GET_BY_USER_MAX_LIMIT);
    return this.post<BatchGetByUserResponse>(`${EC}/batch/get_by_user`, req);
  }

  async remark(req: RemarkRequest): Promise<WecomResponse> {
    maxChars('remark', req.remark, L.REMARK_MAX_CHARS);
    maxChars('description', req.description, L.REMARK_DESCRIPTION_MAX_CHARS);
    maxChars('remark_company', req.remark_company, L.REMARK_COMPANY_MAX_CHARS);
    return this.post(REMARK, req);
  }

  // ── Corp tags ────────────────────────────────────────────────────────────

  /** All corp tags, or only the given tags / groups (group_id wins when both are given). */
  async getCorpTagList(
    req: { tag_id?: string[]; group_id?: string[] } = {},
  ): Promise<{ tag_group: CorpTagGroup[] }> {
    return this.post<WecomResponse & { tag_group: CorpTagGroup[] }>(`${EC}/get_corp_tag_list`, req);
  }

  /** Adds tags to group_id, or creates group group_name with them. */
  async addCorpTag(req: AddCorpTagRequest): Promise<{ tag_group: CorpTagGroup }> {
    required('group_id or group_name', Boolean(req.group_id || req.group_name));
    maxChars('group_name', req.group_name, L.TAG_NAME_MAX_CHARS);
    intIn('order', req.order, 0, L.TAG_ORDER_MAX);
    for (const [i, t] of (req.tag ?? []).entries()) {
      required(`tag[${i}].name`, typeof t.name === 'string' && t.name !== '');
      maxChars(`tag[${i}].name`, t.name, L.TAG_NAME_MAX_CHARS);
      intIn(`tag[${i}].order`, t.order, 0, L.TAG_ORDER_MAX);
    }
    return this.post<WecomResponse & { tag_group: CorpTagGroup }>(ADD_CORP_TAG, req);
  }

  /** Renames or reorders a tag or group (only those this app created: 301002 otherwise). */
  async editCorpTag(req: EditCorpTagRequest): Promise<WecomResponse> {
    maxChars('name', req.name, L.TAG_NAME_MAX_CHARS);
    intIn('order', req.order, 0, L.TAG_ORDER_MAX);
    return this.post(EDIT_CORP_TAG, req);
  }

  async delCorpTag(req: DelCorpTagRequest): Promise<WecomResponse> {
    required('tag_id or group_id', (req.tag_id?.length ?? 0) + (req.group_id?.length ?? 0) > 0);
    return this.post(DEL_CORP_TAG, req);
  }

  async markTag(req: MarkTagRequest): Promise<WecomResponse> {
    required('add_tag or remove_tag', (req.add_tag?.length ?? 0) + (req.remove_tag?.length ?? 0) > 0);
    return this.post(MARK_TAG, req);
  }

  // ── «联系我» ─────────────────────────────────────────────────────────────

  async addContactWay(req: AddContactWayRequest): Promise<AddContactWayResponse> {
    required('type', req.type === 1 || req.type === 2, 'must be 1 or 2');
    required('scene', req.scene === 1 || req.scene === 2, 'must be 1 or 2');
    if (req.type === 1) {
      required('user', req.user?.length === 1, 'must hold exactly one member when type is 1');
      required('party', !req.party?.length, 'is only allowed when type is 2');
    }
    checkContactWay(req);
    return this.post<AddContactWayResponse>(ADD_CONTACT_WAY, req);
  }

  async getContactWay(config_id: string): Promise<{ contact_way: ContactWay }> {
    return this.post<WecomResponse & { contact_way: ContactWay }>(`${EC}/get_contact_way`, { config_id });
  }

  async listContactWay(req: ListContactWayRequest = {}): Promise<ListContactWayResponse> {
    return this.post<ListContactWayResponse>(`${EC}/list_contact_way`, req);
  }

  /** Overwrites `user` and `party` when given. */
  async updateContactWay(req: UpdateContactWayRequest): Promise<WecomResponse> {
    checkContactWay(req);
    return this.post(UPDATE_CONTACT_WAY, req);
  }

  async delContactWay(config_id: string): Promise<WecomResponse> {
    return this.post(DEL_CONTACT_WAY, { config_id });
  }

  // ── Welcome and mass messages ────────────────────────────────────────────

  /** Within 20 s of the add event, once (41051 already sent; 41096 another app is sending: retried). */
  // ── 客户朋友圈 (Moments) ─────────────────────────────────────────────────

  /**
   * POST media/upload?type=… (multipart): temporary media, valid 3 days, for add_msg_template's image, video
   * and file attachments and a mini-program card's pic_media_id. Image ≤10 MB (JPG/PNG), voice ≤2 MB (AMR),
   * video ≤10 MB (MP4), file ≤20 MB; every file more than 5 bytes.
   */
  async uploadMedia(
    type: 'image' | 'voice' | 'video' | 'file',
    file: { filename: string; contentType: string; data: Uint8Array },
  ): Promise<UploadAttachmentResponse> {
    return this.call<UploadAttachmentResponse>('POST', UPLOAD_MEDIA, { type }, new MultipartFile(file), true);
  }

  /** POST media/upload_attachment (multipart): media for Moments (attachment_type 1), valid 3 days. */
  async uploadAttachment(
    mediaType: 'image' | 'video' | 'file',
    file: { filename: string; contentType: string; data: Uint8Array },
  ): Promise<UploadAttachmentResponse> {
    return this.call<UploadAttachmentResponse>(
      'POST',
      UPLOAD_ATTACHMENT,
      { media_type: mediaType, attachment_type: 1 },
      new MultipartFile(file),
      true,
    );
  }

  /**
   * Each call makes a new task: sent once (no retry here after a network error, whose call WeCom may have
   * taken); the moments outbox effect looks for the Moment before sending again.
   */
  async addMomentTask(req: AddMomentTaskRequest): Promise<WecomResponse & { jobid: string }> {
    return this.call('POST', ADD_MOMENT_TASK, {}, req, true, true);
  }

  async getMomentTaskResult(jobid: string): Promise<MomentTaskResult> {
    return this.get(`${EC}/get_moment_task_result`, { jobid });
  }

  async getMomentTask(req: {
    moment_id: string;
    cursor?: string;
    limit?: number;
  }): Promise<
    WecomResponse & { next_cursor?: string; task_list: { userid: string; publish_status: number }[] }
  > {
    return this.post(`${EC}/get_moment_task`, req);
  }

  /** POST get_moment_list: Moments in a range of at most 30 days, at most 20 per page; deleted ones are absent. */
  async getMomentList(req: {
    start_time: number;
    end_time: number;
    creator?: string;
    filter_type?: 0 | 1 | 2;
    cursor?: string;
    limit?: number;
  }): Promise<
    WecomResponse & {
      next_cursor?: string;
      moment_list: {
        moment_id: string;
        creator?: string;
        create_time: number;
        create_type: number;
        text?: { content?: string } | null;
        image?: { media_id: string }[] | null;
        video?: { media_id: string } | null;
        link?: { title?: string; url?: string } | null;
      }[];
    }
  > {
    return this.post(`${EC}/get_moment_list`, req);
  }

  async getMomentSendResult(req: {
    moment_id: string;
    userid: string;
    cursor?: string;
    limit?: number;
  }): Promise<WecomResponse & { next_cursor?: string; customer_list: { external_userid: string }[] }> {
    return this.post(`${EC}/get_moment_send_result`, req);
  }

  async getMomentComments(req: {
    moment_id: string;
    userid: string;
  }): Promise<WecomResponse & { comment_list?: MomentInteraction[]; like_list?: MomentInteraction[] }> {
    return this.post(`${EC}/get_moment_comments`, req);
  }

  async sendWelcomeMsg(req: SendWelcomeMsgRequest): Promise<WecomResponse> {
    required('welcome_code', Boolean(req.welcome_code));
    required('text or attachments', Boolean(req.text?.content) || (req.attachments?.length ?? 0) > 0);
    checkMessage(req.text, req.attachments, L.WELCOME_TEXT_MAX_BYTES, L.WELCOME_MAX_ATTACHMENTS);
    return this.post(SEND_WELCOME_MSG, req);
  }

  // ── Sidebar: web OAuth and JS-SDK tickets (API-FACTS-2 §7) ─────────────────

  /**
   * GET /cgi-bin/auth/getuserinfo: who an OAuth code belongs to. A member: `userid`; someone outside the corp:
   * `openid` (and `external_userid` for a customer). A reused or expired code is 40029.
   */
  async getUserInfoByCode(code: string): Promise<OauthUserInfo> {
    required('code', code.length > 0 && code.length <= 512);
    return this.get<OauthUserInfo>('/cgi-bin/auth/getuserinfo', { code });
  }

  /** GET /cgi-bin/get_jsapi_ticket: the corp ticket that signs wx.config (7200 s). */
  async getJsapiTicket(): Promise<JsapiTicket> {
    return this.get<JsapiTicket>('/cgi-bin/get_jsapi_ticket');
  }

  /** GET /cgi-bin/ticket/get?type=agent_config: the app ticket that signs wx.agentConfig (7200 s). */
  async getAgentConfigTicket(): Promise<JsapiTicket> {
    return this.get<JsapiTicket>('/cgi-bin/ticket/get', { type: 'agent_config' });
  }

  /**
   * An app message to members (发送应用消息). Recipients partly invalid: sent to the others, the invalid
   * ones in `invaliduser`/`invalidparty`/`invalidtag`; all invalid: 81013.
   */
  async sendAppMessage(req: AppMessageRequest): Promise<AppMessageResponse> {
    required('agentid', Number.isInteger(req.agentid) && req.agentid > 0);
    const ids = (s: string | undefined) => (s ? s.split('|').filter((x) => x !== '') : []);
    required(
      'touser, toparty or totag',
      ids(req.touser).length + ids(req.toparty).length + ids(req.totag).length > 0,
    );
    countIn('touser', ids(req.touser), 0, L.APP_MSG_MAX_USERS);
    countIn('toparty', ids(req.toparty), 0, L.APP_MSG_MAX_PARTIES);
    countIn('totag', ids(req.totag), 0, L.APP_MSG_MAX_TAGS);
    intIn('duplicate_check_interval', req.duplicate_check_interval, 1, L.APP_MSG_DUPLICATE_CHECK_MAX_SECONDS);
    if (req.msgtype === 'text') required('text.content', Boolean(req.text?.content));
    if (req.msgtype === 'markdown') {
      required('markdown.content', Boolean(req.markdown?.content));
      maxBytes('markdown.content', req.markdown.content, L.APP_MSG_MARKDOWN_MAX_BYTES);
    }
    if (req.msgtype === 'textcard') {
      required('textcard.title', Boolean(req.textcard?.title));
      required('textcard.description', Boolean(req.textcard?.description));
      required('textcard.url', Boolean(req.textcard?.url));
      maxBytes('textcard.url', req.textcard.url, L.TEXTCARD_URL_MAX_BYTES);
    }
    return this.post<AppMessageResponse>(MESSAGE_SEND, req);
  }

  /** Creates a 群发 task; members must confirm it in their client before anything is sent. */
  async addMsgTemplate(req: AddMsgTemplateRequest): Promise<AddMsgTemplateResponse> {
    const group = req.chat_type === 'group';
    countIn('external_userid', req.external_userid, 0, L.MSG_TEMPLATE_MAX_EXTERNAL_USERIDS);
    countIn('chat_id_list', req.chat_id_list, 0, L.MSG_TEMPLATE_MAX_CHAT_IDS);
    for (const [i, g] of (req.tag_filter?.group_list ?? []).entries()) {
      countIn(`tag_filter.group_list[${i}].tag_list`, g.tag_list, 0, L.MSG_TEMPLATE_MAX_TAGS_PER_GROUP);
    }
    if (group) {
      required('sender', Boolean(req.sender), 'is required when chat_type is group');
      required('external_userid', !req.external_userid?.length, 'is only allowed when chat_type is single');
    } else {
      required('external_userid or sender', Boolean(req.external_userid?.length) || Boolean(req.sender));
    }
    required('text or attachments', Boolean(req.text?.content) || (req.attachments?.length ?? 0) > 0);
    checkMessage(req.text, req.attachments, L.MSG_TEMPLATE_TEXT_MAX_BYTES, L.MSG_TEMPLATE_MAX_ATTACHMENTS);
    return this.post<AddMsgTemplateResponse>(`${EC}/add_msg_template`, req);
  }

  async getGroupMsgListV2(req: GetGroupMsgListV2Request): Promise<GetGroupMsgListV2Response> {
    intIn('limit', req.limit, 1, L.GROUPMSG_LIST_MAX_LIMIT);
    return this.post<GetGroupMsgListV2Response>(`${EC}/get_groupmsg_list_v2`, req);
  }

  async getGroupMsgTask(req: GetGroupMsgTaskRequest): Promise<GetGroupMsgTaskResponse> {
    intIn('limit', req.limit, 1, L.GROUPMSG_TASK_MAX_LIMIT);
    return this.post<GetGroupMsgTaskResponse>(`${EC}/get_groupmsg_task`, req);
  }

  async getGroupMsgSendResult(req: GetGroupMsgSendResultRequest): Promise<GetGroupMsgSendResultResponse> {
    return this.post<GetGroupMsgSendResultResponse>(`${EC}/get_groupmsg_send_result`, req);
  }

  /** Reminds members to send (at most 3 times per 24 h). */
  async remindGroupMsgSend(msgid: string): Promise<WecomResponse> {
    return this.post(`${EC}/remind_groupmsg_send`, { msgid });
  }

  /** Stops the unsent part of a 群发. */
  async cancelGroupMsgSend(msgid: string): Promise<WecomResponse> {
    return this.post(`${EC}/cancel_groupmsg_send`, { msgid });
  }

  // ── Customer groups ──────────────────────────────────────────────────────

  async listGroupChats(req: ListGroupChatsRequest): Promise<ListGroupChatsResponse> {
    intIn('limit', req.limit, 1, L.GROUPCHAT_LIST_MAX_LIMIT);
    required('limit', req.limit !== undefined);
    countIn('owner_filter.userid_list', req.owner_filter?.userid_list, 0, L.GROUPCHAT_LIST_MAX_OWNERS);
    return this.post<ListGroupChatsResponse>(`${EC}/groupchat/list`, req);
  }

  /** The data lags change_external_chat events by a couple of seconds. */
  async getGroupChat(chat_id: string, need_name?: boolean): Promise<{ group_chat: GroupChat }> {
    return this.post<WecomResponse & { group_chat: GroupChat }>(`${EC}/groupchat/get`, {
      chat_id,
      need_name: need_name ? 1 : 0,
    });
  }

  async addJoinWay(req: AddJoinWayRequest): Promise<{ config_id: string }> {
    checkJoinWay(req);
    return this.post<WecomResponse & { config_id: string }>(`${EC}/groupchat/add_join_way`, req);
  }

  async getJoinWay(config_id: string): Promise<{ join_way: JoinWay }> {
    return this.post<WecomResponse & { join_way: JoinWay }>(`${EC}/groupchat/get_join_way`, { config_id });
  }

  /** Overwrites the whole way. */
  async updateJoinWay(req: UpdateJoinWayRequest): Promise<WecomResponse> {
    checkJoinWay(req);
    return this.post(`${EC}/groupchat/update_join_way`, req);
  }

  async delJoinWay(config_id: string): Promise<WecomResponse> {
    return this.post(`${EC}/groupchat/del_join_way`, { config_id });
  }

  // ── Transfers ────────────────────────────────────────────────────────────

  /** On-job transfer of up to 100 customers; errcode 0 per customer only means the takeover started. */
  async transferCustomer(req: TransferCustomerRequest): Promise<TransferCustomerResponse> {
    countIn('external_userid', req.external_userid, 1, L.TRANSFER_MAX_CUSTOMERS);
    maxChars('transfer_success_msg', req.transfer_success_msg, L.TRANSFER_SUCCESS_MSG_MAX_CHARS);
    return this.post<TransferCustomerResponse>(`${EC}/transfer_customer`, req);
  }

  async transferResult(req: TransferResultRequest): Promise<TransferResultResponse> {
    return this.post<TransferResultResponse>(`${EC}/transfer_result`, req);
  }

  /** Transfer of a resigned member's customers, up to 100 per call. */
  async resignedTransferCustomer(req: ResignedTransferCustomerRequest): Promise<TransferCustomerResponse> {
    countIn('external_userid', req.external_userid, 1, L.TRANSFER_MAX_CUSTOMERS);
    return this.post<TransferCustomerResponse>(`${EC}/resigned/transfer_customer`, req);
  }

  async resignedTransferResult(req: TransferResultRequest): Promise<TransferResultResponse> {
    return this.post<TransferResultResponse>(`${EC}/resigned/transfer_result`, req);
  }

  /** Customers of resigned members waiting to be assigned. */
  async getUnassignedList(req: GetUnassignedListRequest = {}): Promise<GetUnassignedListResponse> {
    intIn('page_size', req.page_size, 1, L.UNASSIGNED_LIST_MAX_PAGE_SIZE);
    return this.post<GetUnassignedListResponse>(`${EC}/get_unassigned_list`, req);
  }

  /** Resigned owners' groups to a new owner (POST groupchat/transfer), 1–100 per call. */
  async transferGroupChats(req: TransferGroupChatsRequest): Promise<TransferGroupChatsResponse> {
    countIn('chat_id_list', req.chat_id_list, 1, L.GROUP_TRANSFER_MAX_CHATS);
    return this.post<TransferGroupChatsResponse>(`${EC}/groupchat/transfer`, req);
  }

  /** On-job owners' groups to a new owner (POST groupchat/onjob_transfer), 1–100 per call. */
  async onjobTransferGroupChats(req: TransferGroupChatsRequest): Promise<TransferGroupChatsResponse> {
    countIn('chat_id_list', req.chat_id_list, 1, L.GROUP_TRANSFER_MAX_CHATS);
    return this.post<TransferGroupChatsResponse>(`${EC}/groupchat/onjob_transfer`, req);
  }
}

/** node:http puts the system error's code on the error; fetch puts it on the error's cause. */
function networkDetail(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const codeOf = (e: unknown) =>
    e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '';
  const code = codeOf(err) || codeOf((err as Error & { cause?: unknown }).cause);
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

// ── Paged reads for a full sync ────────────────────────────────────────────

/** Follows a cursor until WeCom returns none (or repeats one, which would otherwise loop forever). */
async function* paged<T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next?: string }>) {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.items;
    if (!page.next || seen.has(page.next)) return;
    seen.add(page.next);
    cursor = page.next;
  }
}

/** Every customer group `{chat_id, status}` (groupchat/list, 1000 a page by default). */
export function allGroupChats(
  client: WecomClient,
  opts: Omit<ListGroupChatsRequest, 'cursor' | 'limit'> & { limit?: number } = {},
): AsyncGenerator<{ chat_id: string; status: number }> {
  const { limit = L.GROUPCHAT_LIST_MAX_LIMIT, ...filter } = opts;
  return paged(async (cursor) => {
    const r = await client.listGroupChats({ ...filter, cursor, limit });
    return { items: r.group_chat_list ?? [], next: r.next_cursor };
  });
}

/**
 * Every (customer, follow) row of the given members, via batch/get_by_user, 100 userids at a time and
 * `limit` (≤100) rows a page. A customer followed by two of the members appears once per follow.
 */
export async function* allCustomersOf(
  client: WecomClient,
  userids: readonly string[],
  opts: { limit?: number } = {},
): AsyncGenerator<BatchExternalContact> {
  const limit = opts.limit ?? L.BATCH_GET_BY_USER_MAX_LIMIT;
  for (let i = 0; i < userids.length; i += L.BATCH_GET_BY_USER_MAX_USERIDS) {
    const userid_list = userids.slice(i, i + L.BATCH_GET_BY_USER_MAX_USERIDS);
    yield* paged(async (cursor) => {
      const r = await client.batchGetByUser({ userid_list, cursor, limit });
      return { items: r.external_contact_list ?? [], next: r.next_cursor };
    });
  }
}

/** Every userid ↔ department row of the corp (user/list_id; needs the contacts-sync secret). */
export function allUserIds(
  client: WecomClient,
  opts: { limit?: number } = {},
): AsyncGenerator<{ userid: string; department: number }> {
  const limit = opts.limit ?? L.USER_LIST_ID_MAX_LIMIT;
  return paged(async (cursor) => {
    const r = await client.listUserIds(cursor, limit);
    return { items: r.dept_user ?? [], next: r.next_cursor };
  });
}

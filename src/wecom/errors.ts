/**
 * Typed errors for WeCom server API calls. Callers branch on `errcode`, never on `errmsg`
 * (API-FACTS §1: errmsg carries a per-request hint and changes from call to call).
 *
 * Neither class ever holds the corp secret or an access_token: the message is built from the API path,
 * the errcode and WeCom's errmsg only (the client scrubs both secrets from errmsg before building it).
 */

/** Errcodes worth retrying with backoff (API-FACTS §1): system busy, frequency/concurrency limits, welcome race. */
export const RETRYABLE_ERRCODES: ReadonlySet<number> = new Set([-1, 45009, 45033, 41096]);

/** Errcodes meaning "drop the access_token and fetch a new one" (API-FACTS §1: real servers send 40014 on expiry too). */
export const TOKEN_INVALID_ERRCODES: ReadonlySet<number> = new Set([40014, 42001, 41001]);

/** Short meanings of the errcodes Siyu meets (API-FACTS §1 table, official page 90455). */
export const KNOWN_ERRCODES: Readonly<Record<number, { en: string; zh: string }>> = {
  [-1]: { en: 'system busy, retry later', zh: '系统繁忙，请稍后再试' },
  40001: { en: 'invalid secret', zh: '不合法的secret参数' },
  40008: { en: 'invalid message type', zh: '不合法的msgtype参数' },
  40013: { en: 'invalid corpid', zh: '不合法的CorpID' },
  40014: { en: 'invalid or expired access_token', zh: '不合法的access_token' },
  40032: { en: 'too many userids (at most 1000)', zh: '不合法的UserID列表长度' },
  40056: { en: 'invalid agentid', zh: '不合法的agentid' },
  40068: { en: 'invalid tag id (no such tag or tag group)', zh: '不合法的标签ID' },
  40071: { en: 'a tag of that name already exists', zh: '标签名字已经存在' },
  40096: { en: 'invalid external userid', zh: '不合法的外部联系人userid' },
  41001: { en: 'access_token missing', zh: '缺少access_token参数' },
  41037: { en: 'contact way type missing', zh: '缺少「联系我」type参数' },
  41051: {
    en: 'welcome message already sent (the customer has started chatting)',
    zh: '客户和成员已经开始聊天了',
  },
  41096: { en: 'welcome message is being sent by another app', zh: '欢迎语正在被其他应用发送' },
  42001: { en: 'access_token expired', zh: 'access_token已过期' },
  44004: { en: 'message content is empty', zh: '文本消息content参数为空' },
  45002: { en: 'message content too long', zh: '消息内容超过限制' },
  45009: { en: 'API frequency limit exceeded', zh: '接口调用超过限制' },
  45033: { en: 'API concurrency limit exceeded', zh: '接口并发调用超过限制' },
  48002: { en: 'API not permitted for this app', zh: 'API接口无权限调用' },
  60011: { en: 'no privilege for this member, department or tag', zh: '指定的成员/部门/标签参数无权限' },
  60020: { en: 'IP not in the allow-list', zh: '不安全的访问IP' },
  81017: {
    en: 'owner_filter required: visible range exceeds 1000 people',
    zh: '可见范围超过1000人，需指定群主过滤',
  },
  81013: {
    en: 'every recipient (user, department, tag) is invalid or out of the app’s range',
    zh: 'UserID、部门ID、标签ID全部非法或无权限',
  },
  84061: { en: 'no external-contact relationship', zh: '不存在外部联系人的关系' },
  90500: { en: 'group owner has not resigned', zh: '群主并未离职' },
  90501: { en: 'not an external group chat', zh: '该群不是客户群' },
  301002: { en: 'no permission for the specified app', zh: '无权限操作指定的应用' },
};

export function describeErrcode(errcode: number): { en: string; zh: string } | undefined {
  return KNOWN_ERRCODES[errcode];
}

/** WeCom answered with a non-zero errcode. */
export class WecomApiError extends Error {
  override readonly name: string = 'WecomApiError';
  /** Worth retrying with backoff (-1, 45009, 45033, 41096, and every WecomNetworkError that says so). */
  readonly retryable: boolean;
  /** The access_token was rejected: drop it and fetch a new one (40014, 42001, 41001). */
  readonly tokenInvalid: boolean;

  constructor(
    /** The API path, e.g. `/cgi-bin/externalcontact/get` (never the full URL: that holds the token). */
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
    opts: { retryable?: boolean; message?: string } = {},
  ) {
    super(opts.message ?? `WeCom ${api} failed: errcode ${errcode}${meaningSuffix(errcode)}: ${errmsg}`);
    this.retryable = opts.retryable ?? RETRYABLE_ERRCODES.has(errcode);
    this.tokenInvalid = TOKEN_INVALID_ERRCODES.has(errcode);
  }
}

export type WecomNetworkErrorKind = 'timeout' | 'network' | 'http_status' | 'bad_response';

/**
 * The call did not produce a WeCom answer: timeout, connection failure, a non-2xx HTTP status or a body
 * that is not WeCom JSON. Its `errcode` is -1 (WeCom's own "system busy, retry") so code that branches on
 * errcodes treats it like a busy server; `kind` tells the cases apart. Retryable except for HTTP 4xx
 * other than 408/429 (a wrong base URL or path does not heal by retrying).
 */
export class WecomNetworkError extends WecomApiError {
  override readonly name: string = 'WecomNetworkError';

  constructor(
    api: string,
    readonly kind: WecomNetworkErrorKind,
    detail: string,
    readonly status?: number,
  ) {
    const retryable =
      kind !== 'http_status' || status === undefined || status >= 500 || status === 408 || status === 429;
    super(api, -1, detail, { retryable, message: `WeCom ${api} failed: ${kind}: ${detail}` });
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof WecomApiError && err.retryable;
}

function meaningSuffix(errcode: number): string {
  const m = KNOWN_ERRCODES[errcode];
  return m ? ` (${m.en})` : '';
}

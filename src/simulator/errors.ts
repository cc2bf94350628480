/** Errors of the WeCom API (errcode/errmsg, HTTP 200) and of the control API (HTTP 4xx, JSON). */

const BASE_MESSAGES: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid secret',
  40003: 'invalid userid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid file size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40032: 'invalid userid list size',
  40050: 'invalid chatid',
  40056: 'invalid agentid',
  40058: 'invalid Request Parameter',
  40068: 'invalid tagid',
  40071: 'invalid tag name, tag name already exists',
  40096: 'invalid external userid',
  40128: 'customer transfer too frequent: at most twice per customer within 90 days',
  40129: 'customer is being transferred',
  40130: 'customer is already a friend of the takeover member',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41008: 'missing code',
  41011: 'missing agentid',
  41037: 'missing contact way type',
  41051: 'externaluser has started chatting',
  42001: 'access_token expired',
  44001: 'empty media data',
  44004: 'empty content',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  47001: 'data format error',
  50001: 'redirect_url not registered as trusted domain',
  60111: 'userid not found',
  60123: 'invalid party id',
  81013: 'user & party & tag all invalid',
  84061: 'not external contact',
  90500: 'chat owner is not resigned',
  90501: 'chat is not external group chat',
  301002: 'not allow to operate the data created by another application',
};

export class WecomError extends Error {
  constructor(
    readonly errcode: number,
    /** Precedes the base text, as WeCom does: "state exceed max length 30. invalid Request Parameter". */
    readonly detail?: string,
    /** Extra response fields WeCom sends along with some errors (e.g. `follow_user: []`). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(`${errcode} ${detail ?? BASE_MESSAGES[errcode] ?? ''}`);
  }
}

export function baseMessage(errcode: number): string {
  return BASE_MESSAGES[errcode] ?? 'unknown error';
}

/** WeCom's errmsg: "<text>, hint: [<25 digits>], from ip: <ip>, more info at https://…?e=<code>". */
export function errmsg(errcode: number, detail: string | undefined, ip: string, hint: string): string {
  const text = detail ? `${detail}. ${baseMessage(errcode)}` : baseMessage(errcode);
  return `${text}, hint: [${hint}], from ip: ${ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}

/** A control-API error: HTTP status + `{error:{code,message}}`. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string | number): SimError =>
  new SimError(404, 'not_found', `${what} ${id} not found`);
export const conflict = (code: string, message: string): SimError => new SimError(409, code, message);
export const badRequest = (code: string, message: string): SimError => new SimError(400, code, message);

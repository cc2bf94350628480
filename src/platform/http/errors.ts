/** One error-code enum, one code -> status table, one body shape, messages in zh-CN and en. */
export const ERRORS = {
  bad_request: { status: 400, zh: '请求参数有误', en: 'The request is invalid' },
  unauthenticated: { status: 401, zh: '请先登录', en: 'Please sign in' },
  bad_credentials: { status: 401, zh: '账号或密码错误', en: 'Wrong account or password' },
  csrf_failed: {
    status: 403,
    zh: '安全校验失败，请刷新页面后重试',
    en: 'Security check failed; reload the page',
  },
  forbidden: { status: 403, zh: '没有权限执行此操作', en: 'You are not allowed to do this' },
  callback_rejected: { status: 403, zh: '回调校验未通过', en: 'The callback failed verification' },
  not_found: { status: 404, zh: '找不到该资源', en: 'Not found' },
  conflict: { status: 409, zh: '与现有数据冲突', en: 'Conflicts with existing data' },
  payload_too_large: { status: 413, zh: '请求体过大', en: 'The request body is too large' },
  too_many_rows: { status: 422, zh: '数据量超过单次上限', en: 'Too many rows at once' },
  rate_limited: { status: 429, zh: '尝试次数过多，请稍后再试', en: 'Too many attempts; try again later' },
  internal: { status: 500, zh: '服务器内部错误', en: 'Internal server error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** A precise message for this case; the generic one for the code is used when absent. */
    readonly detail?: { zh: string; en: string },
  ) {
    super(detail?.en ?? ERRORS[code].en);
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
}

export const notFound = (what: { zh: string; en: string }) =>
  new AppError('not_found', { zh: `${what.zh}不存在`, en: `${what.en} not found` });

export type Lang = 'zh' | 'en';

export function pickLang(acceptLanguage: string | undefined): Lang {
  return acceptLanguage && /^\s*en\b/i.test(acceptLanguage) ? 'en' : 'zh';
}

export function errorBody(code: ErrorCode, message: string, requestId: string) {
  return { error: { code, message, requestId } };
}

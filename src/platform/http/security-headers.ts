import type { FastifyInstance } from 'fastify';

/**
 * The console's Content-Security-Policy: scripts, styles, fonts and API calls from Siyu itself only.
 * - style-src 'unsafe-inline': Ant Design writes its CSS-in-JS into <style> elements at run time, and the
 *   channel landing page carries its own; no script may be inline.
 * - img-src https: http: data: blob: customers' avatars and WeCom's QR codes live on WeCom's hosts (some
 *   http://wx.qlogo.cn), the demo's avatars are data: URIs, a downloaded report is a blob:.
 * - frame-ancestors: Siyu itself, plus the origins configured for WeCom's in-app browser.
 */
export function contentSecurityPolicy(frameAncestors: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https: http:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${["'self'", ...frameAncestors].join(' ')}`,
  ].join('; ');
}

/** An origin a frame-ancestors source may name: scheme, host (its leftmost label may be *), port. */
export const FRAME_ANCESTOR = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;

/** Paths whose answers carry the callers' data (customers, phones, orders): never stored by any cache. */
const PRIVATE_PREFIXES = ['/api/v1/', '/hooks/'];

/**
 * Headers on every response: the CSP above, nosniff (a JSON answer holding customer text must never be
 * sniffed into HTML), no referrer to other origins (a landing page's URL names its channel code), and
 * Cache-Control: no-store on API answers, unless a route set its own.
 */
export function addSecurityHeaders(app: FastifyInstance, opts: { frameAncestors?: readonly string[] }) {
  const csp = contentSecurityPolicy(opts.frameAncestors);
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    // for browsers that predate frame-ancestors; with other ancestors allowed it would contradict them
    if (!opts.frameAncestors?.length) reply.header('x-frame-options', 'SAMEORIGIN');
    if (!reply.hasHeader('cache-control') && PRIVATE_PREFIXES.some((p) => request.url.startsWith(p)))
      reply.header('cache-control', 'no-store');
  });
}

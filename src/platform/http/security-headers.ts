import type { FastifyInstance } from 'fastify';

/**
 * The console's Content-Security-Policy: scripts, styles, fonts and API calls from Siyu itself only.
 * - style-src 'unsafe-inline': Ant Design writes its CSS-in-JS into <style> elements at run time, and the
 *   channel landing page carries its own; no script may be inline.
 * - img-src https: http: data: blob: customers' avatars and WeCom's QR codes live on WeCom's hosts (some
 *   http://wx.qlogo.cn), the demo's avatars are data: URIs, a downloaded report is a blob:.
 * - frame-ancestors: Siyu itself, plus the origins configured for WeCom's in-app browser.
 * - script-src: Siyu, plus WeCom's JS-SDK (jweixin, which the staff sidebar loads inside WeCom) and the origins
 *   allowed at run time (the bundled simulator's client, whose JS-SDK stand-in the sidebar loads).
 */
export const JSSDK_ORIGIN = 'https://res.wx.qq.com';

export function contentSecurityPolicy(
  frameAncestors: readonly string[] = [],
  scriptSources: readonly string[] = [],
): string {
  return [
    "default-src 'self'",
    `script-src ${["'self'", JSSDK_ORIGIN, ...scriptSources].join(' ')}`,
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
  const frameAncestors = [...(opts.frameAncestors ?? [])];
  const scriptSources: string[] = [];
  let csp = contentSecurityPolicy(frameAncestors, scriptSources);
  // The bundled WeCom simulator starts after the server: its client page frames the sidebar and serves the
  // sidebar's JS-SDK stand-in, so its origin is allowed once known.
  app.decorate('allowOrigin', (origin: string) => {
    if (!FRAME_ANCESTOR.test(origin)) throw new Error(`not an origin: ${origin}`);
    if (!frameAncestors.includes(origin)) frameAncestors.push(origin);
    if (!scriptSources.includes(origin)) scriptSources.push(origin);
    csp = contentSecurityPolicy(frameAncestors, scriptSources);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    // for browsers that predate frame-ancestors; with other ancestors allowed it would contradict them
    if (!frameAncestors.length) reply.header('x-frame-options', 'SAMEORIGIN');
    if (!reply.hasHeader('cache-control') && PRIVATE_PREFIXES.some((p) => request.url.startsWith(p)))
      reply.header('cache-control', 'no-store');
  });
}

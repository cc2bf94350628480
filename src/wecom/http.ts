import { request as plainRequest } from 'node:http';
import { request as tlsRequest } from 'node:https';

/** What a WeCom exchange needs of an HTTP answer. A fetch `Response` has this shape too. */
export interface HttpAnswer {
  readonly status: number;
  text(): Promise<string>;
}

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  /** JSON text, or the bytes of a multipart upload. */
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/** The HTTP call WeCom's client and the simulator's pushes make; `fetch` fits it, so tests can pass their own. */
export type HttpCall = (url: string, init?: HttpInit) => Promise<HttpAnswer>;

/**
 * One HTTP request over node:http(s) and their global keep-alive agents, the body read whole. It runs on
 * every WeCom call and every callback push, where fetch costs about three times the CPU per request.
 */
export const httpCall: HttpCall = (url, init = {}) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send =
      target.protocol === 'https:' ? tlsRequest : target.protocol === 'http:' ? plainRequest : null;
    if (!send) {
      reject(new TypeError(`unsupported protocol ${target.protocol}`));
      return;
    }
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = send(target, { method: init.method ?? 'GET', headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text: async () => text });
      });
      // The connection dropped (or the signal aborted) before the body ended.
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the answer ended early'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });

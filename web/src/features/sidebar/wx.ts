/**
 * The WeCom JS-SDK as the sidebar uses it (API-FACTS-2 §7.3–7.5): jweixin's `wx` object, loaded from the URL
 * the server names (WeCom's res.wx.qq.com, or the simulated client's stand-in), config then agentConfig, and
 * `wx.invoke` answering `err_msg` ("<api>:ok" or "<api>:fail …").
 */
import type { JsSdk } from './api';

export interface WxResult {
  err_msg?: string;
  errMsg?: string;
  [key: string]: unknown;
}

interface Wx {
  config(o: Record<string, unknown>): void;
  ready(f: () => void): void;
  error(f: (r: WxResult) => void): void;
  agentConfig(o: Record<string, unknown> & { success(r: WxResult): void; fail(r: WxResult): void }): void;
  invoke(name: string, params: Record<string, unknown>, cb: (r: WxResult) => void): void;
}

declare global {
  interface Window {
    wx?: Wx;
  }
}

export const msgOf = (r: WxResult) => String(r.err_msg ?? r.errMsg ?? '');
export const isOk = (r: WxResult) => /:ok$/.test(msgOf(r));

export class WxError extends Error {
  constructor(
    readonly step: 'load' | 'config' | 'agentConfig',
    message: string,
  ) {
    super(message);
  }
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (window.wx) return resolve();
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new WxError('load', src));
    document.head.appendChild(s);
  });
}

/** Loads the SDK and registers the page with the corp (config) and the app (agentConfig). */
export async function registerPage(cfg: JsSdk): Promise<Wx> {
  await loadScript(cfg.jsSdkUrl);
  const wx = window.wx;
  if (!wx) throw new WxError('load', cfg.jsSdkUrl);
  await new Promise<void>((resolve, reject) => {
    wx.config({
      beta: true,
      debug: false,
      appId: cfg.corpId,
      timestamp: cfg.config.timestamp,
      nonceStr: cfg.config.nonceStr,
      signature: cfg.config.signature,
      jsApiList: cfg.jsApiList,
    });
    wx.ready(resolve);
    wx.error((r) => reject(new WxError('config', msgOf(r))));
  });
  await new Promise<void>((resolve, reject) => {
    wx.agentConfig({
      corpid: cfg.corpId,
      agentid: cfg.agentId,
      timestamp: cfg.agentConfig.timestamp,
      nonceStr: cfg.agentConfig.nonceStr,
      signature: cfg.agentConfig.signature,
      jsApiList: cfg.jsApiList,
      success: () => resolve(),
      fail: (r) => reject(new WxError('agentConfig', msgOf(r))),
    });
  });
  return wx;
}

export function invoke(wx: Wx, name: string, params: Record<string, unknown> = {}): Promise<WxResult> {
  return new Promise((resolve) => wx.invoke(name, params, resolve));
}

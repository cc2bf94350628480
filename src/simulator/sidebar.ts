import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTACT_ENTRIES, type ContextEntry, jsapiSignature, SEND_ENTRIES } from '../wecom/jssdk.ts';
import {
  JSAPI_TICKET_TTL_SECONDS,
  JSAPI_TICKETS_PER_HOUR_APP,
  OAUTH_CODE_TTL_SECONDS,
} from '../wecom/limits.ts';
import { authenticate } from './corps.ts';
import { errmsg, WecomError } from './errors.ts';
import { recordMessage } from './messages.ts';
import type { CorpState, SidebarState } from './model.ts';
import type { Simulator } from './state.ts';

/**
 * What the staff sidebar (聊天工具栏) needs of WeCom (API-FACTS-2 §7):
 * - the web OAuth authorize page (`/connect/oauth2/authorize`, as on open.weixin.qq.com) and the code exchange
 *   (`GET /cgi-bin/auth/getuserinfo`: single-use codes that die after 300 s, 40029 otherwise);
 * - the JS-SDK tickets (`GET /cgi-bin/get_jsapi_ticket`, `GET /cgi-bin/ticket/get?type=agent_config`: 7200 s,
 *   the same ticket while valid, at most 100 fetches an hour per kind, 45009 beyond);
 * - the WeCom client (`/sim/client`): a member's chats, one chat opened with the sidebar beside it, and the
 *   `wx`/`ww` object of the page in the sidebar (`/sim/client/jweixin.js`), which speaks to the client page
 *   over postMessage as jweixin speaks to the native bridge. The client checks the config and agentConfig
 *   signatures against the tickets it issued and answers every API with WeCom's result strings.
 */

type TicketKind = 'jsapi' | 'agent_config';
const URLSAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HOUR_MS = 3_600_000;
export const SIM_MEMBER_COOKIE = 'sim_member';

function stateOf(corp: CorpState): SidebarState {
  corp.sidebar ??= { codes: {}, tickets: {}, fetches: {} };
  return corp.sidebar;
}

/** Issues a single-use OAuth code for a member (the authorize page, after the member is known). */
export function issueCode(sim: Simulator, corp: CorpState, userid: string): string {
  const member = corp.members[userid];
  if (!member || member.resigned_at !== null) throw new WecomError(60111);
  const s = stateOf(corp);
  const now = sim.nowMs();
  for (const [code, c] of Object.entries(s.codes)) if (c.expires_at_ms < now - HOUR_MS) delete s.codes[code];
  const code = sim.rng.string(64, URLSAFE);
  s.codes[code] = { userid, expires_at_ms: now + OAUTH_CODE_TTL_SECONDS * 1000, used: false };
  return code;
}

/** auth/getuserinfo: the member of a code, once; a reused, expired or unknown code is 40029. */
export function exchangeCode(sim: Simulator, corp: CorpState, code: string | undefined): { userid: string } {
  if (!code) throw new WecomError(41008);
  const entry = stateOf(corp).codes[code];
  if (!entry || entry.used || entry.expires_at_ms <= sim.nowMs()) throw new WecomError(40029);
  entry.used = true;
  return { userid: entry.userid };
}

/** A JS-SDK ticket: the same one while valid; each fetch counts against the hourly limit. */
export function fetchTicket(sim: Simulator, corp: CorpState, kind: TicketKind) {
  const s = stateOf(corp);
  const now = sim.nowMs();
  const fetches = (s.fetches[kind] ?? []).filter((t) => t > now - HOUR_MS);
  if (fetches.length >= JSAPI_TICKETS_PER_HOUR_APP) {
    s.fetches[kind] = fetches;
    throw new WecomError(45009);
  }
  fetches.push(now);
  s.fetches[kind] = fetches;
  let t = s.tickets[kind];
  if (!t || t.expires_at_ms <= now) {
    t = { ticket: sim.rng.string(86, URLSAFE), expires_at_ms: now + JSAPI_TICKET_TTL_SECONDS * 1000 };
    s.tickets[kind] = t;
  }
  return { ticket: t.ticket, expires_in: Math.ceil((t.expires_at_ms - now) / 1000) };
}

/** A live ticket of the corp (what the client checks a signature against), or null. */
function liveTicket(sim: Simulator, corp: CorpState, kind: TicketKind): string | null {
  const t = corp.sidebar?.tickets[kind];
  return t && t.expires_at_ms > sim.nowMs() ? t.ticket : null;
}

// ── the client's JS API ─────────────────────────────────────────────────────

/** One open client page: which chat it shows, and what the page in its sidebar has configured. */
interface ClientSession {
  corpid: string;
  userid: string;
  entry: ContextEntry;
  externalUserid: string | null;
  chatId: string | null;
  config: boolean;
  agent: boolean;
  /** The URL the sidebar signed (agentConfig must be signed for the page that calls it). */
  at: number;
}

export type JsResult = Record<string, unknown> & { err_msg: string; errMsg: string };
const result = (api: string, outcome: string, extra: Record<string, unknown> = {}): JsResult => ({
  ...extra,
  err_msg: `${api}:${outcome}`,
  errMsg: `${api}:${outcome}`,
});

/** The JS APIs the sidebar uses, as the WeCom client answers them (API-FACTS-2 §7.3–7.5). */
export function invokeJsApi(
  sim: Simulator,
  session: ClientSession,
  api: string,
  params: Record<string, unknown>,
  url: string,
): JsResult {
  const corp = sim.findCorp(session.corpid);
  if (!corp) return result(api, 'fail invalid corpid');
  switch (api) {
    case 'config': {
      const ticket = liveTicket(sim, corp, 'jsapi');
      const ok =
        params.appId === corp.corpid &&
        ticket !== null &&
        typeof params.signature === 'string' &&
        params.signature ===
          jsapiSignature({
            ticket,
            nonceStr: String(params.nonceStr ?? ''),
            timestamp: String(params.timestamp ?? ''),
            url,
          });
      session.config = ok;
      return result('config', ok ? 'ok' : 'invalid signature');
    }
    case 'agentConfig': {
      if (params.corpid !== corp.corpid) return result('agentConfig', 'fail invalid corpid');
      if (String(params.agentid) !== String(corp.agentid))
        return result('agentConfig', 'fail invalid agentid');
      const ticket = liveTicket(sim, corp, 'agent_config');
      const ok =
        ticket !== null &&
        typeof params.signature === 'string' &&
        params.signature ===
          jsapiSignature({
            ticket,
            nonceStr: String(params.nonceStr ?? ''),
            timestamp: String(params.timestamp ?? ''),
            url,
          });
      session.agent = ok;
      return result('agentConfig', ok ? 'ok' : 'invalid signature');
    }
    case 'getContext':
      if (!session.agent && !session.config) return result(api, 'fail no permission');
      return result(api, 'ok', { entry: session.entry });
    case 'getCurExternalContact': {
      if (!session.agent) return result(api, 'fail no permission');
      if (!CONTACT_ENTRIES.includes(session.entry) || !session.externalUserid)
        return result(api, 'fail without context of external contact');
      return result(api, 'ok', { userId: session.externalUserid });
    }
    case 'getCurExternalChat':
      if (!session.agent) return result(api, 'fail no permission');
      if (session.entry !== 'group_chat_tools' || !session.chatId)
        return result(api, 'fail without context of external contact');
      return result(api, 'ok', { chatId: session.chatId });
    case 'sendChatMessage': {
      if (!session.agent) return result(api, 'fail no permission');
      if (!SEND_ENTRIES.includes(session.entry))
        return result(api, 'fail without context of external contact');
      const body = chatBody(params);
      if (!body) return result(api, 'fail invalid msgtype');
      if (body.invalidImgUrl) return result(api, 'fail invalid imgUrl');
      sim.run(SEND_OP, {
        corpid: corp.corpid,
        userid: session.userid,
        external_userid: session.entry === 'group_chat_tools' ? '' : session.externalUserid,
        chat_id: session.entry === 'group_chat_tools' ? session.chatId : undefined,
        msgtype: body.msgtype,
        content: body.content,
      });
      return result(api, 'ok');
    }
    default:
      return result(api, 'fail function not exist');
  }
}

/** sendChatMessage's body as one line of the chat (text; news and mini programs by their title). */
function chatBody(
  params: Record<string, unknown>,
): { msgtype: string; content: string; invalidImgUrl?: boolean } | null {
  const msgtype = params.msgtype;
  const obj = (k: string) =>
    typeof params[k] === 'object' && params[k] !== null ? (params[k] as Record<string, unknown>) : {};
  switch (msgtype) {
    case 'text': {
      const content = String(obj('text').content ?? '');
      return content ? { msgtype, content } : null;
    }
    case 'news':
      return {
        msgtype,
        content: `[链接] ${String(obj('news').title ?? '')} ${String(obj('news').link ?? '')}`,
      };
    case 'miniprogram': {
      const mp = obj('miniprogram');
      const img = String(mp.imgUrl ?? '');
      return {
        msgtype,
        content: `[小程序] ${String(mp.title ?? '')}`,
        invalidImgUrl: !/^https?:\/\//.test(img),
      };
    }
    case 'image':
    case 'video':
    case 'file':
      return { msgtype, content: `[${msgtype}] ${String(obj(msgtype).mediaid ?? '')}` };
    default:
      return null;
  }
}

// ── HTTP ───────────────────────────────────────────────────────────────────

const CODE_OP = 'sidebar_code';
const EXCHANGE_OP = 'sidebar_exchange';
const TICKET_OP = 'sidebar_ticket';
const SEND_OP = 'sidebar_send';

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : undefined;
  }
  return out;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The trusted domain of a corp's app: the origin of its callback URL (where Siyu lives). */
function trustedOrigin(corp: CorpState): string | null {
  try {
    return corp.callback_url ? new URL(corp.callback_url).origin : null;
  } catch {
    return null;
  }
}

/** The sidebar page the corp's app configured: Siyu's /sidebar for the brand its callback URL names. */
function sidebarUrlOf(corp: CorpState): string | null {
  if (!corp.callback_url) return null;
  const url = new URL(corp.callback_url);
  const brand = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  return `${url.origin}/sidebar?brand=${encodeURIComponent(brand)}`;
}

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CLIENT_CSS}</style></head><body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`;
}

export function registerSidebarRoutes(app: FastifyInstance, sim: Simulator): void {
  sim.defineOp<{ corpid: string; userid: string }>(CODE_OP, ({ corpid, userid }) =>
    issueCode(sim, sim.corp(corpid), userid),
  );
  sim.defineOp<{ corpid: string; code?: string }>(EXCHANGE_OP, ({ corpid, code }) =>
    exchangeCode(sim, sim.corp(corpid), code),
  );
  sim.defineOp<{ corpid: string; kind: TicketKind }>(TICKET_OP, ({ corpid, kind }) =>
    fetchTicket(sim, sim.corp(corpid), kind),
  );
  sim.defineOp<{
    corpid: string;
    userid: string;
    external_userid: string | null;
    chat_id?: string | null;
    msgtype: string;
    content: string;
  }>(SEND_OP, (m) => {
    recordMessage(sim.corp(m.corpid), {
      direction: 'out',
      kind: 'chat',
      external_userid: m.external_userid ?? '',
      ...(m.chat_id ? { chat_id: m.chat_id } : {}),
      userid: m.userid,
      msgtype: m.msgtype,
      content: m.content,
      at: sim.nowS(),
    });
  });

  const fail = (reply: FastifyReply, request: FastifyRequest, err: unknown) => {
    const error = err instanceof WecomError ? err : new WecomError(-1);
    if (!(err instanceof WecomError)) request.log.error({ err }, 'simulator sidebar API failed');
    const hint = `${sim.nowMs()}${String(randomInt(1e12)).padStart(12, '0')}`;
    return reply.send({
      errcode: error.errcode,
      errmsg: errmsg(error.errcode, error.detail, request.ip.replace(/^::ffff:/, ''), hint),
    });
  };

  /** A GET of the WeCom API with the access_token, its per-minute limit and its call counters. */
  const api = (
    path: string,
    handle: (corp: CorpState, query: Record<string, string | undefined>) => object,
  ) => {
    app.get(path, async (request, reply) => {
      const query = queryOf(request);
      let corp: CorpState | undefined;
      try {
        corp = authenticate(sim, query.access_token);
        if (!sim.rateLimiter.take(`${corp.corpid}|${path}`, corp.limits.rate_per_minute, sim.nowMs()))
          throw new WecomError(45009);
        const answer = handle(corp, query);
        sim.countApiCall(corp.corpid, path, 0);
        return reply.send({ errcode: 0, errmsg: 'ok', ...answer });
      } catch (err) {
        if (corp) sim.countApiCall(corp.corpid, path, err instanceof WecomError ? err.errcode : -1);
        return fail(reply, request, err);
      }
    });
  };

  api('/cgi-bin/auth/getuserinfo', (corp, query) =>
    sim.run(EXCHANGE_OP, { corpid: corp.corpid, code: query.code }),
  );
  api('/cgi-bin/get_jsapi_ticket', (corp) => sim.run(TICKET_OP, { corpid: corp.corpid, kind: 'jsapi' }));
  api('/cgi-bin/ticket/get', (corp, query) => {
    if (query.type !== 'agent_config') throw new WecomError(40058, 'type invalid');
    return sim.run(TICKET_OP, { corpid: corp.corpid, kind: 'agent_config' });
  });

  // The authorize page of open.weixin.qq.com: inside the client it redirects at once for the member using it.
  app.get('/connect/oauth2/authorize', async (request, reply) => {
    const q = queryOf(request);
    const corp = q.appid ? sim.findCorp(q.appid) : undefined;
    const refuse = (code: number, text: string) =>
      reply
        .status(200)
        .type('text/html')
        .send(
          page('企业微信', `<div class="oauth-error"><h3>${esc(text)}</h3><p>errcode: ${code}</p></div>`),
        );
    if (!corp) return refuse(40013, '参数错误：appid 不是有效的企业 ID（invalid corpid）');
    if (q.response_type !== 'code') return refuse(40058, '参数错误：response_type 必须为 code');
    if (q.scope !== 'snsapi_base' && q.scope !== 'snsapi_privateinfo')
      return refuse(40058, '参数错误：scope 无效');
    if (q.scope === 'snsapi_privateinfo' && !q.agentid) return refuse(41011, '参数错误：缺少 agentid');
    if (q.state && !/^[a-zA-Z0-9]{0,128}$/.test(q.state)) return refuse(40058, '参数错误：state 无效');
    let redirect: URL;
    try {
      redirect = new URL(q.redirect_uri ?? '');
    } catch {
      return refuse(40058, '参数错误：redirect_uri 无效');
    }
    if (redirect.origin !== trustedOrigin(corp)) return refuse(50001, 'redirect_url未登记可信域名');
    const [cookieCorp, cookieUser] = (cookieOf(request, SIM_MEMBER_COOKIE) ?? '').split(':');
    const userid = q.sim_userid ?? (cookieCorp === corp.corpid ? cookieUser : undefined);
    if (!userid || !corp.members[userid]) {
      // outside the client: who is signing in (WeCom would show its QR login here)
      const self = new URL(request.url, 'http://sim');
      const links = Object.values(corp.members)
        .filter((m) => m.resigned_at === null)
        .slice(0, 200)
        .map((m) => {
          self.searchParams.set('sim_userid', m.userid);
          return `<li><a href="${esc(`${self.pathname}${self.search}`)}">${esc(m.name)} (${esc(m.userid)})</a></li>`;
        })
        .join('');
      return reply
        .type('text/html')
        .send(page('企业微信登录', `<h3>${esc(corp.name)}：选择成员登录</h3><ul>${links}</ul>`));
    }
    let code: string;
    try {
      code = sim.run<string>(CODE_OP, { corpid: corp.corpid, userid });
    } catch (err) {
      return refuse(err instanceof WecomError ? err.errcode : -1, '成员不可用');
    }
    redirect.searchParams.set('code', code);
    if (q.state !== undefined) redirect.searchParams.set('state', q.state);
    return reply.redirect(redirect.toString(), 302);
  });

  // ── the WeCom client ──
  const sessions = new Map<string, ClientSession>();

  app.get('/sim/client', async (request, reply) => {
    const q = queryOf(request);
    reply.type('text/html');
    const corp = q.corpid ? sim.findCorp(q.corpid) : undefined;
    if (!corp) {
      const corps = Object.values(sim.state.corps)
        .map(
          (c) =>
            `<li><b>${esc(c.name)}</b> (${esc(c.corpid)})<ul>${Object.values(c.members)
              .filter((m) => m.resigned_at === null)
              .slice(0, 100)
              .map(
                (m) =>
                  `<li><a href="/sim/client?corpid=${encodeURIComponent(c.corpid)}&userid=${encodeURIComponent(m.userid)}">${esc(m.name)}</a> <small>${esc(m.position)}</small></li>`,
              )
              .join('')}</ul></li>`,
        )
        .join('');
      return page(
        '企业微信（模拟）',
        `<header class="bar">企业微信 · 选择成员</header><ul class="pick">${corps}</ul>`,
      );
    }
    const member = q.userid ? corp.members[q.userid] : undefined;
    if (!member || member.resigned_at !== null)
      return reply.status(404).send(page('企业微信', '<p>成员不存在</p>'));
    reply.header(
      'set-cookie',
      `${SIM_MEMBER_COOKIE}=${encodeURIComponent(`${corp.corpid}:${member.userid}`)}; Path=/; SameSite=Lax`,
    );
    const base = `/sim/client?corpid=${encodeURIComponent(corp.corpid)}&userid=${encodeURIComponent(member.userid)}`;
    const chatId = q.group;
    const externalUserid = q.chat;
    if (!chatId && !externalUserid) {
      const follows = Object.values(corp.follows)
        .flatMap((fs) => fs.filter((f) => f.userid === member.userid))
        .sort((a, b) => b.createtime - a.createtime)
        .slice(0, 200);
      const groups = Object.values(corp.groups).filter(
        (g) =>
          !g.dismissed && (g.owner === member.userid || g.members.some((m) => m.userid === member.userid)),
      );
      const rows = [
        ...groups.map(
          (g) =>
            `<li><a class="chat-link" data-kind="group" href="${base}&group=${encodeURIComponent(g.chat_id)}">👥 ${esc(g.name || '群聊')} <small>${g.members.length}人</small></a></li>`,
        ),
        ...follows.map((f) => {
          const c = corp.customers[f.external_userid];
          return `<li><a class="chat-link" data-kind="single" data-external-userid="${esc(f.external_userid)}" href="${base}&chat=${encodeURIComponent(f.external_userid)}">${esc(f.remark || c?.name || f.external_userid)}${c?.name && f.remark ? ` <small>${esc(c.name)}</small>` : ''}</a></li>`;
        }),
      ].join('');
      return page(
        '企业微信',
        `<header class="bar">消息 · ${esc(member.name)}</header><ul class="chats">${rows || '<li>还没有客户</li>'}</ul>`,
      );
    }
    const group = chatId ? corp.groups[chatId] : undefined;
    const customer = externalUserid ? corp.customers[externalUserid] : undefined;
    const follow = externalUserid
      ? corp.follows[externalUserid]?.find((f) => f.userid === member.userid)
      : undefined;
    if (chatId ? !group : !customer || !follow)
      return reply.status(404).send(page('企业微信', '<p>没有这个会话</p>'));
    const entry = (q.entry ?? (group ? 'group_chat_tools' : 'single_chat_tools')) as ContextEntry;
    const sid = randomBytes(12).toString('base64url');
    sessions.set(sid, {
      corpid: corp.corpid,
      userid: member.userid,
      entry,
      externalUserid: externalUserid ?? null,
      chatId: chatId ?? null,
      config: false,
      agent: false,
      at: Date.now(),
    });
    // an open client keeps a few hundred pages at most
    if (sessions.size > 500) for (const k of [...sessions.keys()].slice(0, 100)) sessions.delete(k);
    const messages = corp.messages
      .filter((m) =>
        group
          ? m.chat_id === group.chat_id
          : m.external_userid === externalUserid && m.userid === member.userid,
      )
      .slice(-30);
    const title = group ? group.name || '群聊' : follow?.remark || customer?.name || '';
    const sidebar = q.sidebar ?? sidebarUrlOf(corp) ?? '';
    const bubbles = messages
      .map((m) => `<div class="msg ${m.direction}"><span>${esc(m.content)}</span></div>`)
      .join('');
    return page(
      `${title} - 企业微信`,
      `<div class="client" data-sid="${esc(sid)}">
  <section class="chat">
    <header class="bar"><a href="${base}" class="back">‹</a> <span class="chat-title">${esc(title)}</span>${group ? '' : ' <small class="wx">@微信</small>'}</header>
    <div class="messages" id="messages">${bubbles}</div>
    <div class="toolbar"><button id="open-sidebar" type="button">${group ? '群聊工具栏' : '聊天工具栏'} · Siyu</button></div>
  </section>
  <section class="sidebar" id="sidebar-pane" hidden>
    <iframe id="sidebar" title="sidebar" data-src="${esc(sidebar)}"></iframe>
  </section>
</div>`,
      CLIENT_SCRIPT,
    );
  });

  // The client's side of the bridge: the sidebar page's wx object posts here through this page.
  app.post('/sim/client/invoke', async (request, reply) => {
    let body: { sid?: unknown; api?: unknown; params?: unknown; url?: unknown };
    try {
      body = JSON.parse(String(request.body ?? '{}'));
    } catch {
      return reply.status(400).send({ error: { code: 'bad_json', message: 'body is not JSON' } });
    }
    const session = typeof body.sid === 'string' ? sessions.get(body.sid) : undefined;
    const apiName = typeof body.api === 'string' ? body.api : '';
    if (!session) return reply.send(result(apiName || 'invoke', 'fail client page expired'));
    const params =
      typeof body.params === 'object' && body.params !== null ? (body.params as Record<string, unknown>) : {};
    return reply.send(
      invokeJsApi(sim, session, apiName, params, typeof body.url === 'string' ? body.url : ''),
    );
  });

  app.get('/sim/client/jweixin.js', async (_request, reply) =>
    reply.type('application/javascript').header('cache-control', 'no-cache').send(JWEIXIN),
  );

  // what the tests and the console of the simulator read: codes, tickets and their hourly fetches
  app.get('/sim/corps/:corpid/sidebar', async (request, reply) => {
    const corp = sim.findCorp((request.params as { corpid: string }).corpid);
    if (!corp) return reply.status(404).send({ error: { code: 'not_found', message: 'corp not found' } });
    const s = corp.sidebar ?? { codes: {}, tickets: {}, fetches: {} };
    return {
      codes: Object.values(s.codes).map((c) => ({
        userid: c.userid,
        used: c.used,
        expires_at_ms: c.expires_at_ms,
      })),
      tickets: Object.fromEntries(
        Object.entries(s.tickets).map(([k, t]) => [k, { expires_at_ms: t?.expires_at_ms }]),
      ),
      fetches_last_hour: Object.fromEntries(
        Object.entries(s.fetches).map(([k, f]) => [
          k,
          (f ?? []).filter((t) => t > sim.nowMs() - HOUR_MS).length,
        ]),
      ),
    };
  });
}

/**
 * The `wx` (jweixin) and `ww` object of a page opened in the client's sidebar: config, ready, error,
 * agentConfig and invoke, each answered by the client page (the parent frame) as the native bridge would.
 */
const JWEIXIN = `(function () {
  'use strict';
  var pending = {}, seq = 0, readyFns = [], errorFns = [], state = { ready: false, error: null };
  function call(api, params) {
    return new Promise(function (resolve) {
      var id = ++seq;
      pending[id] = resolve;
      window.parent.postMessage({ simWx: 'invoke', id: id, api: api, params: params || {}, url: location.href.split('#')[0] }, '*');
    });
  }
  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.simWx !== 'result' || e.source !== window.parent) return;
    var f = pending[d.id];
    if (f) { delete pending[d.id]; f(d.result); }
  });
  var ok = function (r) { return /:ok$/.test(r.errMsg || r.err_msg || ''); };
  var wx = {
    config: function (o) {
      call('config', { beta: o.beta, debug: o.debug, appId: o.appId, timestamp: o.timestamp, nonceStr: o.nonceStr, signature: o.signature, jsApiList: o.jsApiList })
        .then(function (r) {
          if (ok(r)) { state.ready = true; readyFns.splice(0).forEach(function (f) { f(); }); }
          else { state.error = r; errorFns.forEach(function (f) { f(r); }); }
        });
    },
    ready: function (f) { if (state.ready) f(); else readyFns.push(f); },
    error: function (f) { if (state.error) f(state.error); else errorFns.push(f); },
    agentConfig: function (o) {
      call('agentConfig', { corpid: o.corpid, agentid: o.agentid, timestamp: o.timestamp, nonceStr: o.nonceStr, signature: o.signature, jsApiList: o.jsApiList })
        .then(function (r) {
          if (ok(r)) { if (o.success) o.success(r); } else if (o.fail) o.fail(r);
          if (o.complete) o.complete(r);
        });
    },
    invoke: function (name, params, cb) { call(name, params).then(function (r) { if (cb) cb(r); }); }
  };
  window.wx = window.jWeixin = wx;
  window.ww = wx;
})();
`;

/** The client page: opens the sidebar, relays its wx calls to /sim/client/invoke, shows what it sends. */
const CLIENT_SCRIPT = `(function () {
  var root = document.querySelector('.client');
  if (!root) return;
  var sid = root.getAttribute('data-sid');
  var frame = document.getElementById('sidebar');
  var pane = document.getElementById('sidebar-pane');
  var messages = document.getElementById('messages');
  messages.scrollTop = messages.scrollHeight;
  document.getElementById('open-sidebar').addEventListener('click', function () {
    pane.hidden = false;
    root.classList.add('with-sidebar');
    if (!frame.getAttribute('src')) frame.setAttribute('src', frame.getAttribute('data-src'));
  });
  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.simWx !== 'invoke' || e.source !== frame.contentWindow) return;
    fetch('/sim/client/invoke', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sid: sid, api: d.api, params: d.params, url: d.url }) })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        if (d.api === 'sendChatMessage' && /:ok$/.test(result.err_msg)) {
          var p = d.params || {}, text = p.msgtype === 'text' ? (p.text || {}).content : '[' + p.msgtype + '] ' + ((p[p.msgtype] || {}).title || '');
          var div = document.createElement('div'); div.className = 'msg out';
          var span = document.createElement('span'); span.textContent = text; div.appendChild(span);
          messages.appendChild(div); messages.scrollTop = messages.scrollHeight;
        }
        frame.contentWindow.postMessage({ simWx: 'result', id: d.id, result: result }, '*');
      });
  });
})();`;

const CLIENT_CSS = `
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,"PingFang SC","Noto Sans SC",sans-serif;background:#ededed;color:#222}
.bar{height:44px;display:flex;align-items:center;gap:8px;padding:0 12px;background:#f7f7f7;border-bottom:1px solid #ddd;font-weight:600}
.bar .back{text-decoration:none;font-size:24px;color:#333}.bar small{font-weight:400;color:#e6a23c}
ul.chats,ul.pick{list-style:none;margin:0;padding:0;background:#fff}ul.chats li a{display:block;padding:14px 16px;border-bottom:1px solid #eee;color:#222;text-decoration:none}
ul.pick{padding:12px}ul.pick ul{padding-left:16px}
.client{display:flex;flex-direction:column;height:100vh}
.chat{display:flex;flex-direction:column;flex:1;min-height:0}
.messages{flex:1;overflow:auto;padding:12px}
.msg{display:flex;margin:8px 0}.msg span{max-width:78%;padding:8px 12px;border-radius:6px;background:#fff;white-space:pre-wrap;word-break:break-word}
.msg.out{justify-content:flex-end}.msg.out span{background:#95ec69}
.toolbar{padding:8px;background:#f7f7f7;border-top:1px solid #ddd}.toolbar button{width:100%;padding:10px;border:1px solid #ccc;border-radius:6px;background:#fff;font-size:15px}
.client.with-sidebar .chat{flex:0 0 30%}
.sidebar{flex:1;min-height:0;border-top:1px solid #ccc;background:#fff}.sidebar iframe{width:100%;height:100%;border:0;display:block}
@media (min-width:900px){.client{flex-direction:row}.client.with-sidebar .chat{flex:1}.sidebar{flex:0 0 420px;border-top:0;border-left:1px solid #ccc;height:100vh}}
.oauth-error{padding:24px;text-align:center;color:#c00}
`;

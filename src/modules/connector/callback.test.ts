import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConnection } from '../../platform/wecom-links.ts';
import { openTestApp, type TestApp } from '../../testing/app.ts';
import { pii } from '../../testing/fixture.ts';
import { callbackCrypto, encrypt, sealMessage, signature } from '../../wecom/crypto.ts';
import { buildEventXml } from '../../wecom/events.ts';

const WECOM_CORP = 'wwacme0000000001';
const TOKEN = 'callbacktoken123';
const AES_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
const crypto = callbackCrypto(TOKEN, AES_KEY, WECOM_CORP);

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await saveConnection(t.database.db, pii, 'acme', {
    wecomCorpId: WECOM_CORP,
    apiBaseUrl: 'http://127.0.0.1:9',
    secret: 'app-secret',
    callbackToken: TOKEN,
    encodingAesKey: AES_KEY,
    simulated: true,
  });
});
afterAll(() => t.close());

const now = () => Math.floor(Date.now() / 1000);
const addEvent = (externalUserId: string, createTime = now()) =>
  buildEventXml({
    type: 'add_external_contact',
    corpId: WECOM_CORP,
    fromUserName: 'sys',
    createTime,
    userId: 'sh1a',
    externalUserId,
    state: 'ch_test',
    welcomeCode: `wc_${externalUserId}`,
  });

function post(
  xml: string,
  opts: { ts?: number; corp?: string; tamper?: boolean; using?: typeof crypto } = {},
) {
  const ts = String(opts.ts ?? now());
  const sealed = sealMessage(opts.using ?? crypto, xml, ts, '12345');
  return t.app.inject({
    method: 'POST',
    url: `/wecom/callback/${opts.corp ?? 'acme'}?msg_signature=${opts.tamper ? '0'.repeat(40) : sealed.msgSignature}&timestamp=${ts}&nonce=12345`,
    headers: { 'content-type': 'text/xml' },
    payload: sealed.body,
  });
}

async function inbox() {
  const r = await sql<{ dedup_key: string; event_type: string; next_attempt_at: Date; received_at: Date }>`
    select dedup_key, event_type, next_attempt_at, received_at from wecom_inbox order by id`.execute(
    t.database.db,
  );
  return r.rows;
}

describe('the WeCom callback endpoint', () => {
  it('answers URL verification with the decrypted echostr, as plain text', async () => {
    const ts = String(now());
    const echostr = encrypt(crypto.key, '5927782489442352469', WECOM_CORP);
    const sig = signature(TOKEN, ts, '42', echostr);
    const res = await t.app.inject({
      method: 'GET',
      url: `/wecom/callback/acme?msg_signature=${sig}&timestamp=${ts}&nonce=42&echostr=${encodeURIComponent(echostr)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('5927782489442352469');
    const bad = await t.app.inject({
      method: 'GET',
      url: `/wecom/callback/acme?msg_signature=${'1'.repeat(40)}&timestamp=${ts}&nonce=42&echostr=${encodeURIComponent(echostr)}`,
    });
    expect(bad.statusCode).toBe(403);
  });

  it('records an event in the inbox and answers 200 with an empty body', async () => {
    const res = await post(addEvent('wm_first'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    const rows = await inbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.event_type).toBe('add_external_contact');
  });

  it('has a redelivered event recorded once', async () => {
    const before = (await inbox()).length;
    const xml = addEvent('wm_twice', now() - 3);
    for (let i = 0; i < 3; i++) expect((await post(xml)).statusCode).toBe(200);
    expect((await inbox()).length).toBe(before + 1);
  });

  it('delays group events so groupchat/get has caught up', async () => {
    const xml = buildEventXml({
      type: 'external_chat_create',
      corpId: WECOM_CORP,
      fromUserName: 'sys',
      createTime: now(),
      chatId: 'wr_chat_1',
    });
    expect((await post(xml)).statusCode).toBe(200);
    const row = (await inbox()).find((r) => r.event_type === 'external_chat_create')!;
    expect(row.next_attempt_at.getTime() - row.received_at.getTime()).toBe(2000);
  });

  it.each([
    ['a forged signature', () => post(addEvent('wm_forged'), { tamper: true }), 403],
    ['a replay from an hour ago', () => post(addEvent('wm_replay'), { ts: now() - 3600 }), 403],
    [
      'another corp’s key',
      () => post(addEvent('wm_wrongkey'), { using: callbackCrypto(TOKEN, AES_KEY, 'ww_other_corp') }),
      403,
    ],
    ['an unknown brand', () => post(addEvent('wm_nobrand'), { corp: 'nobrand' }), 404],
    [
      'a malformed body',
      () =>
        t.app.inject({
          method: 'POST',
          url: `/wecom/callback/acme?msg_signature=${'a'.repeat(40)}&timestamp=${now()}&nonce=1`,
          headers: { 'content-type': 'text/xml' },
          payload: '<xml><Encrypt>',
        }),
      400,
    ],
    [
      'missing query parameters',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/wecom/callback/acme',
          headers: { 'content-type': 'text/xml' },
          payload: '<xml/>',
        }),
      400,
    ],
    [
      'an oversized body',
      () =>
        t.app.inject({
          method: 'POST',
          url: `/wecom/callback/acme?msg_signature=${'a'.repeat(40)}&timestamp=${now()}&nonce=1`,
          headers: { 'content-type': 'text/xml' },
          payload: `<xml><Encrypt><![CDATA[${'A'.repeat(70 * 1024)}]]></Encrypt></xml>`,
        }),
      413,
    ],
  ])('refuses %s with a clear 4xx and writes nothing', async (_what, send, status) => {
    const before = (await inbox()).length;
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().error.message).toBeTruthy();
    expect((await inbox()).length).toBe(before);
  });
});

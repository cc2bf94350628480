import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../testing/fixture.ts';
import { type Linked, openLinked, SIM_CORP } from '../../testing/linked.ts';
import { callbackCrypto, sealMessage } from '../../wecom/crypto.ts';

/**
 * Authenticated callbacks PostgreSQL cannot store as they are (U+0000, a lone UTF-16 surrogate, which
 * neither text nor jsonb holds) or that do not parse: each is acknowledged once and for all, stored, and
 * then handled with its text made storable, or parked with a reason, never refused on every retry.
 */
let t: Linked;
const crypto = callbackCrypto(SIM_CORP.token, SIM_CORP.encoding_aes_key, SIM_CORP.corpid);
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await openLinked();
});
afterAll(() => t.close());

/** Posts an inner XML document as WeCom would: encrypted and signed with the brand's keys. */
async function push(xml: string): Promise<number> {
  const ts = String(now());
  const sealed = sealMessage(crypto, xml, ts, '778899');
  const res = await fetch(
    `${t.siyuUrl}/wecom/callback/acme?msg_signature=${sealed.msgSignature}&timestamp=${ts}&nonce=778899`,
    { method: 'POST', headers: { 'content-type': 'text/xml' }, body: sealed.body },
  );
  return res.status;
}

const contactEvent = (fields: { userId: string; externalUserId: string; state: string; at: number }) =>
  `<xml><ToUserName><![CDATA[${SIM_CORP.corpid}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
  `<CreateTime>${fields.at}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
  '<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>' +
  `<UserID>${fields.userId}</UserID><ExternalUserID>${fields.externalUserId}</ExternalUserID>` +
  `<State>${fields.state}</State><WelcomeCode><![CDATA[WC${fields.at}]]></WelcomeCode></xml>`;

async function inboxRows() {
  return t.database.db
    .selectFrom('wecom_inbox')
    .select(['id', 'event_type', 'status', 'last_error', 'event'])
    .where('corp_id', '=', 'acme')
    .orderBy('id')
    .execute();
}

async function wecomStatus() {
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: 'admin@acme', password: PASSWORD },
  });
  const cookie = login.cookies.find((c) => c.name === 'siyu_session')!;
  const res = await t.app.inject({
    method: 'GET',
    url: '/api/v1/wecom/status',
    headers: { cookie: `siyu_session=${cookie.value}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    inbox: Record<string, number>;
    inboxParked: { id: number; eventType: string; lastError: string | null }[];
  };
}

describe('an authenticated callback holding text PostgreSQL cannot store', () => {
  it('is stored and handled with that text made storable, and a name holding it mirrors with U+FFFD', async () => {
    // A WeCom customer whose nickname holds a NUL and half of an emoji, already a friend of sh1a; the
    // simulator's own callback is held back so that the one below is the first Siyu hears.
    await t.corp('PATCH', '', { callback_url: null });
    const ext = (await t.corp('POST', '/customers', { name: '林\u0000小满\ud83d' }))
      .external_userid as string;
    await t.corp('POST', '/scenarios/member-adds-customer', { userid: 'sh1a', external_userid: ext });
    await t.corp('PATCH', '', { callback_url: `${t.siyuUrl}/wecom/callback/acme` });

    // The state carries a raw NUL, a NUL and a lone surrogate as character references.
    const xml = contactEvent({
      userId: 'sh1a',
      externalUserId: ext,
      state: 'a\u0000b&#0;c&#xD800;',
      at: now(),
    });
    expect(await push(xml)).toBe(200);
    expect(await push(xml)).toBe(200); // WeCom's retry: acknowledged, recorded once
    await t.settle();

    const rows = (await inboxRows()).filter(
      (r) => (r.event as { externalUserId?: string }).externalUserId === ext,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_type: 'add_external_contact', status: 'done' });
    expect(rows[0]!.event).toMatchObject({ state: 'a\uFFFDb\uFFFDc\uFFFD', replaced: ['State'] });
    const customer = await t.database.db
      .selectFrom('customers')
      .select(['id', 'name'])
      .where('corp_id', '=', 'acme')
      .where('external_userid', '=', ext)
      .executeTakeFirstOrThrow();
    expect(customer.name).toBe('林\uFFFD小满\uFFFD');
    const follow = await t.database.db
      .selectFrom('follows')
      .select('status')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', customer.id)
      .executeTakeFirstOrThrow();
    expect(follow.status).toBe('active');
  });

  it('whose ids cannot be used is stored and parked with the reason, visible in the inbox counts', async () => {
    const before = (await wecomStatus()).inbox.parked ?? 0;
    const xml = contactEvent({ userId: 'sh1a', externalUserId: 'wm&#0;broken', state: 'x', at: now() - 1 });
    expect(await push(xml)).toBe(200);
    expect(await push(xml)).toBe(200);
    await t.settle();
    const parked = (await inboxRows()).filter((r) => r.status === 'parked');
    expect(parked).toHaveLength(1);
    expect(parked[0]!.last_error).toContain('ExternalUserID');
    expect(parked[0]!.event).toMatchObject({ externalUserId: 'wm\uFFFDbroken' });
    const status = await wecomStatus();
    expect(status.inbox.parked).toBe(before + 1);
    expect(status.inboxParked[0]).toMatchObject({ id: parked[0]!.id, eventType: 'add_external_contact' });
    expect(status.inboxParked[0]!.lastError).toContain('ExternalUserID');
  });

  it('whose XML does not parse is kept raw and parked, not refused', async () => {
    const xml = `<xml><ToUserName><![CDATA[${SIM_CORP.corpid}]]></ToUserName><CreateTime>${now()}</CreateTime><Oops></xml>`;
    expect(await push(xml)).toBe(200);
    expect(await push(xml)).toBe(200);
    const rows = (await inboxRows()).filter((r) => r.event_type === 'unparsable');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('parked');
    expect(rows[0]!.last_error).toMatch(/invalid XML/);
    const raw = (rows[0]!.event as { xmlBase64: string }).xmlBase64;
    expect(Buffer.from(raw, 'base64').toString('utf8')).toBe(xml);
  });

  it('as a message to the app with a NUL in its content is stored and handled', async () => {
    const xml =
      `<xml><ToUserName><![CDATA[${SIM_CORP.corpid}]]></ToUserName><FromUserName><![CDATA[sh1a]]></FromUserName>` +
      `<CreateTime>${now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好\u0000]]></Content>` +
      '<MsgId>msg&#xDC00;1</MsgId><AgentID>1000002</AgentID></xml>';
    expect(await push(xml)).toBe(200);
    await t.settle();
    const rows = (await inboxRows()).filter((r) => r.event_type === 'message');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'done', event: { content: '你好\uFFFD', msgId: 'msg\uFFFD1' } });
  });
});

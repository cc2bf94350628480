import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../simulator/clock.ts';
import { PASSWORD } from '../../testing/fixture.ts';
import { type Linked, openLinked, SIM_CORP } from '../../testing/linked.ts';
import { jsapiSignature } from '../../wecom/jssdk.ts';
import { QUOTE_DAYS } from '../customers/quotes.ts';

// The sidebar end to end through the simulator: WeCom's web OAuth (single-use, 5-minute codes), the JS-SDK
// tickets and signatures the simulated client checks, the customer and group cards within the caller's scope,
// a script sent as a counted touch, and a follow-up note on the timeline.

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field in tests
type Json = any;

let linked: Linked;
// on Siyu's time: the callbacks' timestamps must fall within its ±300 s window
const simClock = new ManualClock(Date.now());

interface Res {
  status: number;
  location: string | null;
  cookies: Record<string, string>;
  body: string;
}

async function get(url: string, cookie = ''): Promise<Res> {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const cookies: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [kv] = c.split(';');
    const [k, ...v] = kv!.split('=');
    cookies[k!] = v.join('=');
  }
  return { status: res.status, location: res.headers.get('location'), cookies, body: await res.text() };
}

/** The browser's way through OAuth as member `userid`: start → authorize → callback (returns the callback URL). */
async function oauth(userid: string) {
  const start = await get(`${linked.siyuUrl}/api/v1/sidebar/oauth/start?brand=acme`);
  expect(start.status).toBe(302);
  const authorize = new URL(start.location!);
  expect(authorize.pathname).toBe('/connect/oauth2/authorize');
  expect(authorize.hash).toBe('#wechat_redirect');
  expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
    appid: SIM_CORP.corpid,
    response_type: 'code',
    scope: 'snsapi_base',
    agentid: String(SIM_CORP.agentid),
  });
  const stateCookie = `siyu_sidebar_state=${start.cookies.siyu_sidebar_state}`;
  const wecom = await get(
    `${authorize.origin}${authorize.pathname}${authorize.search}`,
    `sim_member=${SIM_CORP.corpid}:${userid}`,
  );
  expect(wecom.status).toBe(302);
  const callback = wecom.location!;
  const done = await get(callback, stateCookie);
  return { callback, stateCookie, done };
}

async function api(method: string, path: string, session: { cookie: string; csrf: string }, body?: unknown) {
  const res = await fetch(`${linked.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function sessionOf(cookie: string) {
  const me = await fetch(`${linked.siyuUrl}/api/v1/auth/me`, { headers: { cookie } });
  expect(me.status).toBe(200);
  const body = (await me.json()) as { csrfToken: string; account: { username: string; staffId: number } };
  return { cookie, csrf: body.csrfToken, account: body.account };
}

async function password(login: string) {
  const res = await fetch(`${linked.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('siyu_session='))!
    .split(';')[0]!;
  return sessionOf(cookie);
}

/** A client page (the WeCom client) opened on a chat; its sid drives /sim/client/invoke. */
async function clientPage(query: string) {
  const res = await get(`${linked.simulator.url}/sim/client?corpid=${SIM_CORP.corpid}&${query}`);
  expect(res.status).toBe(200);
  const sid = /data-sid="([^"]+)"/.exec(res.body)?.[1];
  const sidebar = /data-src="([^"]+)"/.exec(res.body)?.[1]?.replaceAll('&amp;', '&');
  const invoke = async (api: string, params: Record<string, unknown> = {}, url = 'https://x/sidebar') => {
    const r = await fetch(`${linked.simulator.url}/sim/client/invoke`, {
      method: 'POST',
      body: JSON.stringify({ sid, api, params, url }),
    });
    return (await r.json()) as Json;
  };
  return { html: res.body, sid, sidebar, invoke };
}

let customer: string;
let chatId: string;

beforeAll(async () => {
  linked = await openLinked({ simClock });
  // a customer of 张丽 (sh1a) in WeCom, mirrored into Siyu through the callback
  customer = (await linked.corp('POST', '/customers', { name: '林小姐', gender: 2 })).external_userid;
  await linked.corp('POST', '/scenarios/member-adds-customer', { userid: 'sh1a', external_userid: customer });
  const created = await linked.corp('POST', '/scenarios/member-creates-group', {
    owner: 'sh1a',
    name: '静安福利群',
    external_userids: [customer],
  });
  chatId = created.chat_id ?? created.group?.chat_id;
  // Siyu reads a group 2 s after its event (groupchat/get lags WeCom's callbacks): waited for, bounded
  for (let i = 0; i < 100; i++) {
    await linked.settle();
    const group = await linked.database.db
      .selectFrom('groups')
      .select('id')
      .where('chat_id', '=', chatId)
      .executeTakeFirst();
    if (group) break;
    if (i === 99) throw new Error('the group never reached Siyu');
    await new Promise((r) => setTimeout(r, 50));
  }
  const now = new Date();
  // the library: a script for new customers, one for the persona, one for another stage
  await linked.database.db
    .insertInto('content_items')
    .values([
      {
        corp_id: 'acme',
        unit_id: linked.fx.units.hq,
        kind: 'trust',
        script: true,
        title: '新客欢迎',
        text: '{{customer_name}}您好，我是{{staff_name}}',
        stages: ['new'],
        attachments: '[]',
        created_at: now,
        updated_at: now,
      },
      {
        corp_id: 'acme',
        unit_id: linked.fx.units.hq,
        kind: 'event',
        script: true,
        title: '周末活动',
        text: '周末第二杯半价',
        attachments: '[]',
        created_at: now,
        updated_at: now,
        scenes: ['event'],
      },
      {
        corp_id: 'acme',
        unit_id: linked.fx.units.gz1,
        kind: 'product',
        script: true,
        title: '广州专供',
        text: '只在广州',
        attachments: '[]',
        created_at: now,
        updated_at: now,
      },
    ])
    .execute();
}, 240_000);

afterAll(async () => {
  await linked?.close();
});

describe('sidebar: sign-in through WeCom’s web OAuth', () => {
  it('signs the member in as their account; the code is single-use and dies after 5 minutes', async () => {
    const { callback, stateCookie, done } = await oauth('sh1a');
    expect(done.status).toBe(302);
    expect(done.location).toBe('/sidebar?brand=acme&signed_in=1');
    const session = await sessionOf(`siyu_session=${done.cookies.siyu_session}`);
    expect(session.account.username).toBe('sh1a');

    // the same code again: WeCom answers 40029, the sidebar says why
    const reused = await get(callback, stateCookie);
    expect(reused.location).toBe('/sidebar?brand=acme&error=oauth_code');
    expect(reused.cookies.siyu_session).toBeUndefined();

    // a code left unused for 5 minutes
    const start = await get(`${linked.siyuUrl}/api/v1/sidebar/oauth/start?brand=acme`);
    const wecom = await get(start.location!.split('#')[0]!, `sim_member=${SIM_CORP.corpid}:sh1a`);
    simClock.advance(300_000);
    const late = await get(wecom.location!, `siyu_sidebar_state=${start.cookies.siyu_sidebar_state}`);
    expect(late.location).toBe('/sidebar?brand=acme&error=oauth_code');
  });

  it('refuses a foreign state, a member without an account, and an unknown brand', async () => {
    const { callback } = await oauth('sh1a');
    expect((await get(callback, 'siyu_sidebar_state=forged')).location).toBe(
      '/sidebar?brand=acme&error=state',
    );
    const noAccount = await oauth('sh1b');
    expect(noAccount.done.location).toBe('/sidebar?brand=acme&error=no_account');
    const unknown = await get(`${linked.siyuUrl}/api/v1/sidebar/oauth/start?brand=nobody`);
    expect(unknown.location).toBe('/sidebar?brand=nobody&error=not_connected');
  });
});

describe('sidebar: the JS-SDK and the simulated client', () => {
  it('signs config and agentConfig with tickets fetched once; the client accepts them and refuses a wrong one', async () => {
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const page = await clientPage(`userid=sh1a&chat=${customer}`);
    expect(page.sidebar).toBe(`${linked.siyuUrl}/sidebar?brand=acme`);
    const url = `${linked.siyuUrl}/sidebar?brand=acme&signed_in=1`;
    const cfg = (await api('GET', `/sidebar/jssdk?url=${encodeURIComponent(`${url}#top`)}`, session)).json;
    expect(cfg).toMatchObject({
      corpId: SIM_CORP.corpid,
      agentId: String(SIM_CORP.agentid),
      jsSdkUrl: `${linked.simulator.url}/sim/client/jweixin.js`,
    });
    const tickets = linked.simulator.sim.state.corps[SIM_CORP.corpid]!.sidebar!.tickets;
    expect(cfg.config.signature).toBe(
      jsapiSignature({
        ticket: tickets.jsapi!.ticket,
        nonceStr: cfg.config.nonceStr,
        timestamp: cfg.config.timestamp,
        url,
      }),
    );
    // before agentConfig: no app identity
    expect((await page.invoke('getCurExternalContact', {}, url)).err_msg).toBe(
      'getCurExternalContact:fail no permission',
    );
    const wrong = await page.invoke(
      'agentConfig',
      { corpid: SIM_CORP.corpid, agentid: SIM_CORP.agentid, ...cfg.config },
      url,
    );
    expect(wrong.err_msg).toBe('agentConfig:invalid signature');
    expect((await page.invoke('config', { appId: cfg.corpId, ...cfg.config }, url)).err_msg).toBe(
      'config:ok',
    );
    const signedElsewhere = await page.invoke(
      'agentConfig',
      { corpid: cfg.corpId, agentid: cfg.agentId, ...cfg.agentConfig },
      `${url}&x=1`,
    );
    expect(signedElsewhere.err_msg).toBe('agentConfig:invalid signature');
    expect(
      (
        await page.invoke(
          'agentConfig',
          { corpid: cfg.corpId, agentid: cfg.agentId, ...cfg.agentConfig },
          url,
        )
      ).errMsg,
    ).toBe('agentConfig:ok');
    expect(await page.invoke('getContext')).toMatchObject({
      err_msg: 'getContext:ok',
      entry: 'single_chat_tools',
    });
    expect(await page.invoke('getCurExternalContact')).toMatchObject({
      err_msg: 'getCurExternalContact:ok',
      userId: customer,
    });
    expect((await page.invoke('getCurExternalChat')).err_msg).toBe(
      'getCurExternalChat:fail without context of external contact',
    );

    // a second page: the tickets come from Siyu's cache, WeCom is not asked again
    await api('GET', `/sidebar/jssdk?url=${encodeURIComponent(url)}`, session);
    const counts = await linked.corp('GET', '/sidebar');
    expect(counts.fetches_last_hour).toEqual({ jsapi: 1, agent_config: 1 });

    // outside the chat entries that allow it
    const workbench = await clientPage(`userid=sh1a&chat=${customer}&entry=normal`);
    await workbench.invoke(
      'agentConfig',
      { corpid: cfg.corpId, agentid: cfg.agentId, ...cfg.agentConfig },
      url,
    );
    expect((await workbench.invoke('getCurExternalContact', {}, url)).err_msg).toBe(
      'getCurExternalContact:fail without context of external contact',
    );
    expect(
      (await workbench.invoke('sendChatMessage', { msgtype: 'text', text: { content: 'x' } }, url)).err_msg,
    ).toBe('sendChatMessage:fail without context of external contact');
  });
});

describe('sidebar: the customer card, sends and notes', () => {
  it('finds the chat’s customer within the member’s own; recommends by stage and unit', async () => {
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const card = await api('GET', `/sidebar/contacts/${customer}`, session);
    expect(card.status).toBe(200);
    const titles = card.json.recommendations.map((r: { title: string }) => r.title);
    expect(titles).toContain('新客欢迎');
    expect(titles).not.toContain('广州专供'); // another store's item
    const welcome = card.json.recommendations.find((r: { title: string }) => r.title === '新客欢迎');
    expect(welcome.text).toBe('林小姐您好，我是张丽');
    // 赵 follows only a Guangzhou member: not this member's customer
    expect((await api('GET', '/sidebar/contacts/wm_zhao', session)).status).toBe(404);
    expect((await api('GET', '/sidebar/contacts/wm_nobody', session)).status).toBe(404);
    // a manager above sees it
    const east = await password('east@acme');
    expect((await api('GET', `/sidebar/contacts/${customer}`, east)).status).toBe(200);
  });

  it('a sent script is a touch (kind sidebar) and a use of the item; a refused send gives it back', async () => {
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const { customerId, recommendations } = (await api('GET', `/sidebar/contacts/${customer}`, session)).json;
    const item = recommendations.find((r: { title: string }) => r.title === '新客欢迎');
    const first = await api('POST', `/sidebar/customers/${customerId}/sends`, session, {
      contentId: item.id,
    });
    expect(first.status).toBe(200);
    expect(first.json.text).toBe('林小姐您好，我是张丽');
    // a second one at once: a conversation is never held back by the budget's frequency
    const second = await api('POST', `/sidebar/customers/${customerId}/sends`, session, {
      contentId: item.id,
    });
    expect(second.status).toBe(200);
    const touches = await linked.database.db
      .selectFrom('touches')
      .select(['id', 'source_kind', 'wecom_mass', 'status'])
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .execute();
    expect(touches.map((t) => [t.source_kind, t.wecom_mass])).toEqual([
      ['sidebar', false],
      ['sidebar', false],
    ]);
    const uses = await linked.database.db
      .selectFrom('content_uses')
      .select('touch_id')
      .where('customer_id', '=', customerId)
      .execute();
    expect(uses).toHaveLength(2);
    expect((await api('POST', `/sidebar/sends/${second.json.touchId}/cancel`, session)).status).toBe(200);
    const released = await linked.database.db
      .selectFrom('touches')
      .select('status')
      .where('id', '=', second.json.touchId)
      .executeTakeFirstOrThrow();
    expect(released.status).toBe('released');
    // another member's touch, or an unknown one: 404
    const admin = await password('admin@acme');
    expect((await api('POST', `/sidebar/sends/${first.json.touchId}/cancel`, admin)).status).toBe(404);
    expect((await api('POST', '/sidebar/sends/999999/cancel', session)).status).toBe(404);
    // out of scope customer
    expect(
      (
        await api('POST', `/sidebar/customers/${linked.fx.customers.zhao}/sends`, session, {
          contentId: item.id,
        })
      ).status,
    ).toBe(404);
    const profile = (await api('GET', `/customers/${customerId}`, session)).json;
    expect(profile.timeline.map((e: { text: { zh: string } }) => e.text.zh)).toContain(
      '张丽 向客户发送聊天侧边栏话术「新客欢迎」',
    );
  });

  it('sendChatMessage puts the text into the chat and the simulator’s message record', async () => {
    const page = await clientPage(`userid=sh1a&chat=${customer}`);
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const url = `${linked.siyuUrl}/sidebar?brand=acme&signed_in=1`;
    const cfg = (await api('GET', `/sidebar/jssdk?url=${encodeURIComponent(url)}`, session)).json;
    await page.invoke('agentConfig', { corpid: cfg.corpId, agentid: cfg.agentId, ...cfg.agentConfig }, url);
    expect(
      (await page.invoke('sendChatMessage', { msgtype: 'text', text: { content: '林小姐您好' } }, url))
        .err_msg,
    ).toBe('sendChatMessage:ok');
    const { messages } = await linked.corp('GET', `/messages?external_userid=${customer}`);
    expect(messages.at(-1)).toMatchObject({
      direction: 'out',
      kind: 'chat',
      userid: 'sh1a',
      content: '林小姐您好',
    });
    const again = await clientPage(`userid=sh1a&chat=${customer}`);
    expect(again.html).toContain('林小姐您好');
  });

  it('a follow-up note lands on the timeline; an empty one is a 400', async () => {
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const { customerId } = (await api('GET', `/sidebar/contacts/${customer}`, session)).json;
    expect(
      (await api('POST', `/sidebar/customers/${customerId}/notes`, session, { text: '想要少糖的新品' }))
        .status,
    ).toBe(200);
    expect(
      (await api('POST', `/sidebar/customers/${customerId}/notes`, session, { text: '  ' })).status,
    ).toBe(400);
    expect(
      (await api('POST', `/sidebar/customers/${linked.fx.customers.zhao}/notes`, session, { text: 'x' }))
        .status,
    ).toBe(404);
    const profile = (await api('GET', `/customers/${customerId}`, session)).json;
    expect(profile.timeline[0]).toMatchObject({
      kind: 'note',
      text: { zh: '张丽 的跟进记录：想要少糖的新品' },
    });
  });

  it('quotes with notes: colleagues quoting one item differently are flagged on the profile', async () => {
    // 陈静 (sh1b) of the same store adds 林小姐 too, and gets a login
    await linked.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1b',
      external_userid: customer,
    });
    await linked.settle();
    const admin = await password('admin@acme');
    const made = await api('POST', '/accounts', admin, {
      username: 'sh1b',
      displayName: '陈静',
      role: 'staff',
      unitId: linked.fx.units.sh1,
      staffId: linked.fx.staff.sh1b,
    });
    expect(made.status).toBe(201);
    const zhang = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const chen = await sessionOf(`siyu_session=${(await oauth('sh1b')).done.cookies.siyu_session}`);
    const { customerId } = (await api('GET', `/sidebar/contacts/${customer}`, zhang)).json;
    const note = (session: typeof zhang, body: unknown) =>
      api('POST', `/sidebar/customers/${customerId}/notes`, session, body);
    const quotesOf = async () => (await api('GET', `/customers/${customerId}`, admin)).json.quotes;

    expect((await note(zhang, { text: '想订年卡', quote: { item: '年卡', amountFen: 99_900 } })).status).toBe(
      200,
    );
    expect((await note(zhang, { quote: { item: '桂花乌龙', amountFen: 2_800 } })).status).toBe(200);
    // the same price for the same item (spacing aside): no conflict
    expect((await note(chen, { quote: { item: ' 桂花乌龙 ', amountFen: 2_800 } })).status).toBe(200);
    expect((await quotesOf()).every((q: { conflicting: boolean }) => !q.conflicting)).toBe(true);
    // 陈静 quotes the year card lower: both members' latest quotes for it are flagged
    expect((await note(chen, { quote: { item: '年卡', amountFen: 89_900 } })).status).toBe(200);
    const quotes = await quotesOf();
    expect(
      quotes
        .map((q: Json) => [q.staffName, q.item, q.amountFen, q.conflicting])
        .sort((a: string[], b: string[]) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`)),
    ).toEqual(
      [
        ['张丽', '年卡', 99_900, true],
        ['张丽', '桂花乌龙', 2_800, false],
        ['陈静', '年卡', 89_900, true],
        ['陈静', '桂花乌龙', 2_800, false],
      ].sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`)),
    );
    // 张丽 corrects hers: her latest quote counts, the conflict is gone
    expect((await note(zhang, { quote: { item: '年卡', amountFen: 89_900 } })).status).toBe(200);
    expect((await quotesOf()).some((q: { conflicting: boolean }) => q.conflicting)).toBe(false);
    // the timeline says it in words
    const profile = (await api('GET', `/customers/${customerId}`, zhang)).json;
    expect(profile.timeline.map((e: Json) => e.text.zh)).toContain(
      '张丽 的跟进记录：想订年卡；报价「年卡」¥999.00',
    );
    // quotes older than QUOTE_DAYS no longer count: 陈静's new one, aged past them, conflicts with nothing
    expect((await note(chen, { quote: { item: '年卡', amountFen: 69_900 } })).status).toBe(200);
    expect((await quotesOf()).some((q: { conflicting: boolean }) => q.conflicting)).toBe(true);
    await linked.database.db
      .updateTable('customer_events')
      .set({ at: new Date(Date.now() - (QUOTE_DAYS + 1) * 86_400_000) })
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', customerId)
      .where('staff_id', '=', linked.fx.staff.sh1b)
      .where('kind', '=', 'note')
      .execute();
    const fresh = await quotesOf();
    expect(fresh.map((q: Json) => q.staffName)).toEqual(['张丽', '张丽']);
    expect(fresh.some((q: { conflicting: boolean }) => q.conflicting)).toBe(false);
    // bad input: a clear 400, nothing written
    for (const body of [
      {},
      { text: ' ', quote: { item: ' ', amountFen: 100 } },
      { quote: { item: '年卡', amountFen: -1 } },
      { quote: { item: '年卡', amountFen: 1.5 } },
      { quote: { item: '年卡' } },
      { quote: { item: 'x'.repeat(41), amountFen: 1 } },
      { quote: { item: '年卡', amountFen: 1, extra: 1 } },
    ])
      expect((await note(zhang, body)).status).toBe(400);
    // an account that is no WeCom member cannot quote
    expect((await note(admin, { quote: { item: '年卡', amountFen: 1 } })).status).toBe(409);
  });

  it('the group card: its persona and group scripts, for its members and their managers only', async () => {
    const session = await sessionOf(`siyu_session=${(await oauth('sh1a')).done.cookies.siyu_session}`);
    const card = await api('GET', `/sidebar/groups/${chatId}`, session);
    expect(card.status).toBe(200);
    expect(card.json).toMatchObject({ name: '静安福利群', persona: { members: 1, linked: 1 } });
    expect(card.json.recommendations[0].title).toBe('周末活动');
    // the same persona the groups pages show its managers (one definition of bands, loyalty, new/old)
    const admin = await password('admin@acme');
    const page = await api('GET', `/groups/${card.json.groupId}`, admin);
    expect(card.json.persona).toEqual(page.json.persona);
    const gz1 = await password('gz1@acme');
    expect((await api('GET', `/sidebar/groups/${chatId}`, gz1)).status).toBe(404);
    expect((await api('GET', '/sidebar/groups/wrnothing', session)).status).toBe(404);
  });
});

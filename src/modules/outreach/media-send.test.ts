import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import { allowPrivateFetch } from '../../platform/public-fetch.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { samplePng } from '../content/media.ts';
import { syncCtxOf } from '../context.ts';
import { ADVANCE_JOB } from '../journeys/engine.ts';
import { onTagsChanged } from '../journeys/triggers.ts';
import { MASS_SEND_JOB } from './mass-sends.ts';

/**
 * A library item's files go out as WeCom media, through the real simulator over HTTP: a mass send with an
 * image and a mini-program card reaches the customer with media ids WeCom accepted (the simulator refuses
 * unknown or expired ones); a file is uploaded once and its media_id reused while valid, then uploaded
 * again once it has expired; a file that cannot be fetched fails the send's row with the reason and gives the
 * customer's slot back; a journey's send step carries its item's file too.
 */
const DAY = 86_400_000;
const clock = new ShiftableClock();
let t: Linked;
let files: Server;
let filesUrl = '';
const hits: Record<string, number> = {};
let cookie: string;
let csrf: string;
const ext: Record<string, string> = {};
const ids: Record<string, number> = {};

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie,
      'x-csrf-token': csrf,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function runJob(name = MASS_SEND_JOB) {
  await t.settle();
  await t.app.runtime.runJob(name);
  await t.settle();
}

/** How many media/upload calls the simulator has answered. */
async function uploads(): Promise<number> {
  const counters = await t.corp('GET', '/counters');
  return counters.api['/cgi-bin/media/upload']?.calls ?? 0;
}

/** The newest mass send of a member in the simulator, confirmed by them; then what the customer received. */
async function confirmAndRead(userid: string, externalUserid: string) {
  const list = (await t.corp('GET', '/mass-sends')).mass_sends as {
    msgid: string;
    tasks: { userid: string }[];
  }[];
  const { msgid } = list.filter((m) => m.tasks[0]?.userid === userid).at(-1)!;
  const mine = (await t.corp('GET', `/mass-sends/${msgid}`)) as {
    attachments: Record<string, Record<string, string>>[];
  };
  await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid, userid });
  const { messages } = await t.corp('GET', `/messages?external_userid=${externalUserid}`);
  return { sent: mine, received: messages.at(-1) };
}

async function item(title: string, attachments: unknown[]) {
  const res = await api('POST', '/content', { kind: 'product', title, text: `${title}上新`, attachments });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as number;
}

async function massSend(name: string, contentId: number, customer: string) {
  const res = await api('POST', '/outreach/mass-sends', {
    name,
    contentKind: 'product',
    contentId,
    senderRule: { prefer: 'store_staff' },
    audience: { customerIds: [ids[customer]] },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  await runJob();
  return res.json.id as number;
}

beforeAll(async () => {
  clock.shiftTo(new Date('2026-07-01T03:00:00Z')); // 11:00 brand time
  files = createServer((req, res) => {
    const path = req.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    if (path.endsWith('.png')) {
      res.writeHead(200, { 'content-type': 'image/png' }).end(samplePng(path));
    } else if (path === '/menu') {
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.alloc(4096, 7));
    } else {
      res.writeHead(404).end('no such file');
    }
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  allowPrivateFetch(['loopback']); // the library's files come from this test's own server
  t = await openLinked({ clock });
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: t.fx.logins.admin, password: 'correct horse' }),
  });
  cookie = `siyu_session=${/siyu_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]}`;
  csrf = (await res.json()).csrfToken;
  for (const k of ['a', 'b', 'c', 'd']) {
    ext[k] = (await t.corp('POST', '/customers', { name: `客户${k.toUpperCase()}` })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: ext[k],
      add_way: 1,
    });
  }
  for (let i = 0; i < 20 && Object.keys(ids).length < 4; i++) {
    await t.settleDue(clock);
    const rows = await t.database.db
      .selectFrom('customers as c')
      .innerJoin('follows as f', (j) =>
        j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
      )
      .select(['c.id', 'c.external_userid'])
      .where('c.external_userid', 'in', Object.values(ext))
      .where('f.status', '=', 'active')
      .execute();
    for (const r of rows) ids[Object.keys(ext).find((k) => ext[k] === r.external_userid)!] = r.id;
  }
  expect(Object.keys(ids).sort()).toEqual(['a', 'b', 'c', 'd']);
}, 120_000);
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => files.close(resolve));
});

let cardItem: number;

describe('library files as WeCom media', () => {
  it('a mass send with an image and a mini-program card reaches the customer with valid media ids', async () => {
    cardItem = await item('新品图卡', [
      { type: 'image', picUrl: `${filesUrl}/photo.png` },
      {
        type: 'miniprogram',
        title: '点单有礼',
        appid: 'wx0123456789abcdef',
        page: 'pages/order/index.html',
        picUrl: `${filesUrl}/cover.png`,
      },
    ]);
    await massSend('图卡群发', cardItem, 'a');
    const { sent, received } = await confirmAndRead('sh1a', ext.a!);
    const imageId = sent.attachments[0]!.image!.media_id!;
    const coverId = sent.attachments[1]!.miniprogram!.pic_media_id!;
    expect(imageId).toMatch(/^3/);
    expect(coverId).toMatch(/^3/);
    // the simulator checked both ids when the task was made, and the customer got both
    expect(received).toMatchObject({
      kind: 'mass',
      content: '新品图卡上新',
      attachments: [
        { msgtype: 'image', media_id: imageId, filename: 'photo.png' },
        { msgtype: 'miniprogram', title: '点单有礼', media_id: coverId, filename: 'cover.png' },
      ],
    });
    expect(await uploads()).toBe(2);
    const kept = await t.database.db
      .selectFrom('content_media')
      .select(['media_type', 'media_id', 'expires_at'])
      .orderBy('media_id')
      .execute();
    expect(kept.map((k) => k.media_id).sort()).toEqual([imageId, coverId].sort());
    for (const k of kept)
      expect(k.expires_at.getTime() - clock.now().getTime()).toBeGreaterThan(3 * DAY - 60_000);
  });

  it('reuses a media id while it is valid and uploads the file again once it has expired', async () => {
    clock.shiftBy(3_600_000);
    await massSend('图卡再发', cardItem, 'b');
    const first = await confirmAndRead('sh1a', ext.b!);
    expect(await uploads()).toBe(2);
    expect(hits['/photo.png']).toBe(1);

    clock.shiftBy(3 * DAY);
    await massSend('图卡三天后', cardItem, 'a');
    const later = await confirmAndRead('sh1a', ext.a!);
    expect(await uploads()).toBe(4);
    expect(hits['/photo.png']).toBe(2);
    const newId = later.sent.attachments[0]!.image!.media_id;
    expect(newId).not.toBe(first.sent.attachments[0]!.image!.media_id);
    expect(later.received.attachments[0]).toMatchObject({ media_id: newId, filename: 'photo.png' });
  });

  it('a group send of the item reuses the same media ids for its groups', async () => {
    const made = (await t.corp('POST', '/scenarios/member-creates-group', {
      owner: 'sh1a',
      name: '静安会员群',
    })) as {
      group: { chat_id: string };
    };
    // the group reaches Siyu through its callback and a read WeCom answers a little later
    let group: { id: number } | undefined;
    for (let i = 0; i < 10 && !group; i++) {
      await t.settleDue(clock);
      group = await t.database.db
        .selectFrom('groups')
        .select('id')
        .where('chat_id', '=', made.group.chat_id)
        .executeTakeFirst();
    }
    await t.database.db.updateTable('groups').set({ type: 'vip' }).where('id', '=', group!.id).execute();
    const before = await uploads();
    const created = await api('POST', '/outreach/mass-sends', {
      name: '群里发图卡',
      contentKind: 'product',
      contentId: cardItem,
      target: 'groups',
      groups: { types: ['vip'] },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    await runJob();
    await t.settleDue(clock);
    const list = (await t.corp('GET', '/mass-sends')).mass_sends as { msgid: string; chat_type: string }[];
    const msgid = list.filter((m) => m.chat_type === 'group').at(-1)!.msgid;
    const sent = (await t.corp('GET', `/mass-sends/${msgid}`)) as {
      attachments: Record<string, Record<string, string>>[];
    };
    const kept = await t.database.db.selectFrom('content_media').select('media_id').execute();
    expect(sent.attachments.map((a) => a.image?.media_id ?? a.miniprogram?.pic_media_id).sort()).toEqual(
      kept.map((k) => k.media_id).sort(),
    );
    expect(await uploads()).toBe(before);
  });

  it('a file that cannot be fetched fails the send visibly, with the reason, and frees the slot', async () => {
    const broken = await item('缺图', [{ type: 'image', picUrl: `${filesUrl}/gone.jpg` }]);
    const id = await massSend('缺图群发', broken, 'c');
    await runJob();
    const view = (await api('GET', `/outreach/mass-sends/${id}/recipients?limit=10`)).json.items;
    expect(view).toEqual([
      expect.objectContaining({ customerId: ids.c, status: 'failed', reason: 'media_failed' }),
    ]);
    const task = await t.database.db
      .selectFrom('mass_send_tasks')
      .select(['status', 'error'])
      .where('mass_send_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(task.status).toBe('failed');
    expect(task.error).toContain('media upload failed');
    expect(task.error).toContain('HTTP 404');
    const touch = await t.database.db
      .selectFrom('touches')
      .select('status')
      .where('customer_id', '=', ids.c!)
      .where('source_kind', '=', 'mass_send')
      .executeTakeFirstOrThrow();
    expect(touch.status).toBe('released');
  });

  it("a journey's send step carries its item's file as a media id", async () => {
    const menu = await item('门店菜单', [{ type: 'file', name: '夏季菜单.pdf', url: `${filesUrl}/menu` }]);
    const graph = {
      trigger: { kind: 'tag_removed', tagIds: [t.fx.tags.vip] },
      start: 'menu',
      nodes: [{ id: 'menu', kind: 'send', contentId: menu }],
    };
    const created = await api('POST', '/journeys', { name: '发菜单', graph });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    await api('POST', `/journeys/${created.json.id}/status`, { status: 'active' });
    await onTagsChanged(syncCtxOf(t.app.runtime.deps, 'acme'), [
      {
        type: 'TagsChanged',
        customerId: ids.d!,
        added: [],
        removed: [{ id: t.fx.tags.vip, name: 'VIP' }],
        cause: { source: 'wecom' },
        staffId: t.fx.staff.sh1a,
        at: clock.now().toISOString(),
      },
    ]);
    await runJob(ADVANCE_JOB);
    const { sent, received } = await confirmAndRead('sh1a', ext.d!);
    const fileId = sent.attachments[0]!.file!.media_id!;
    expect(received).toMatchObject({
      content: '门店菜单上新',
      attachments: [{ msgtype: 'file', media_id: fileId, filename: '夏季菜单.pdf' }],
    });
  });
});

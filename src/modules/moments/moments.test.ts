import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.ts';
import { ManualClock as SimClock } from '../../simulator/clock.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { MOMENTS_JOB } from './publish.ts';

/**
 * Moments end to end through the real simulator over HTTP, on clocks the test moves: a post planned on an
 * axis is published at its time (its image uploaded once and reused while the media_id is valid, then
 * uploaded again), WeCom's job is followed, members publish in the simulator and each one's status, the
 * customers who see it and the likes and comments appear; tags narrow who sees it; a refused sender fails
 * the post visibly; a store manager sees and edits only their stores' posts; bad content is a 4xx.
 */
const start = new Date('2026-07-01T02:00:00Z');
const clock = new ManualClock(start);
const simClock = new SimClock(start);
let t: Linked;
type Session = { cookie: string; csrf: string };
const as: Record<string, Session> = {};
const ext: Record<string, string> = {};
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

async function login(login: string): Promise<Session> {
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'correct horse' }),
  });
  const session = /siyu_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  return { cookie: `siyu_session=${session}`, csrf: (await res.json()).csrfToken as string };
}
async function api(
  who: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
) {
  const raw = body instanceof Uint8Array;
  const res = await fetch(`${t.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie: as[who]!.cookie,
      'x-csrf-token': as[who]!.csrf,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: raw ? Buffer.from(body) : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? safeJson(text) : null };
}
function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
const advance = (ms: number) => {
  clock.advance(ms);
  simClock.advance(ms);
};
async function runJob() {
  await t.app.runtime.runJob(MOMENTS_JOB);
  await t.settle();
  await t.app.runtime.runJob(MOMENTS_JOB);
  await t.settle();
}
const inAnHour = () => new Date(clock.now().getTime() + 3_600_000).toISOString();

let imageId: number;
let vipWecomId: string;

beforeAll(async () => {
  t = await openLinked({ clock, simClock, callbacks: false });
  for (const who of ['admin', 'sh1', 'sh2'] as const) as[who] = await login(t.fx.logins[who]);
  for (const [k, userid] of [
    ['a', 'sh1a'],
    ['b', 'sh1a'],
    ['c', 'sh1b'],
  ] as const) {
    ext[k] = (await t.corp('POST', '/customers', { name: `客户${k.toUpperCase()}` })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', { userid, external_userid: ext[k], add_way: 1 });
  }
  const tags = await t.corp('POST', '/scenarios/admin-create-tags', {
    group_name: '会员',
    tag: [{ name: 'VIP' }],
  });
  vipWecomId = tags.tag_group.tag[0].id;
  await t.corp('POST', '/scenarios/member-edits-contact', {
    userid: 'sh1a',
    external_userid: ext.a,
    add_tag: [vipWecomId],
  });
  await t.database.db
    .updateTable('tags')
    .set({ wecom_tag_id: vipWecomId })
    .where('corp_id', '=', 'acme')
    .where('id', '=', t.fx.tags.vip)
    .execute();
  const up = await api('admin', 'POST', '/moments/media?fileName=tea.png', PNG, 'image/png');
  expect(up.status).toBe(201);
  imageId = up.json.id;
}, 60_000);
afterAll(() => t.close());

const post = (over: Record<string, unknown> = {}) => ({
  axis: 'product',
  title: '杨枝甘露上新',
  body: '夏日限定杨枝甘露今天上新，到店尝鲜～',
  kind: 'images',
  mediaIds: [imageId],
  senderStaffIds: [t.fx.staff.sh1a, t.fx.staff.sh1b],
  tagIds: [],
  plannedAt: inAnHour(),
  ...over,
});

const simMoments = async () =>
  (await t.corp('GET', '/moments')).moments as {
    moment_id: string;
    text: { content: string } | null;
    tasks: { userid: string; publish_status: number }[];
  }[];

describe('a Moments post through the simulator', () => {
  let firstMomentId: string;

  it('is published at its time, followed, and shows each member’s publishing, visibility, likes and comments', async () => {
    const created = await api('admin', 'POST', '/moments', post());
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      status: 'planned',
      axis: 'product',
      kind: 'images',
      memberCount: 0,
    });
    const id = created.json.id;

    await runJob();
    expect((await api('admin', 'GET', `/moments/${id}`)).json.status).toBe('planned');
    expect(await simMoments()).toHaveLength(0);

    advance(3_600_000);
    await runJob();
    const published = (await api('admin', 'GET', `/moments/${id}`)).json;
    expect(published).toMatchObject({ status: 'published', memberCount: 2, publishedCount: 0 });
    expect(published.members.map((m: { userid: string; status: string }) => [m.userid, m.status])).toEqual([
      ['sh1a', 'pending'],
      ['sh1b', 'pending'],
    ]);
    const [moment] = await simMoments();
    expect(moment!.text?.content).toBe('夏日限定杨枝甘露今天上新，到店尝鲜～');
    firstMomentId = moment!.moment_id;

    await t.corp('POST', '/scenarios/member-publishes-moment', { moment_id: firstMomentId, userid: 'sh1a' });
    for (const [who, comment] of [
      ['a', '看起来好好喝'],
      ['b', undefined],
    ] as const) {
      await t.corp('POST', '/scenarios/customer-reacts-to-moment', {
        moment_id: firstMomentId,
        userid: 'sh1a',
        external_userid: ext[who],
        like: true,
        ...(comment ? { comment } : {}),
      });
    }
    // followed again only after a while: nothing changes at once
    await runJob();
    expect((await api('admin', 'GET', `/moments/${id}`)).json.publishedCount).toBe(0);
    advance(16 * 60_000);
    await runJob();
    const after = (await api('admin', 'GET', `/moments/${id}`)).json;
    expect(after).toMatchObject({ publishedCount: 1, visible: 2, likes: 2, comments: 1 });
    expect(after.members[0]).toMatchObject({
      userid: 'sh1a',
      name: '张丽',
      status: 'published',
      visible: 2,
      likes: 2,
      comments: 1,
    });
    expect(after.members[1]).toMatchObject({ userid: 'sh1b', status: 'pending', visible: 0 });

    // the calendar of the month shows it with its counts; editing it now is refused
    const month = await api('admin', 'GET', `/moments?from=2026-07-01T00:00:00Z&to=2026-08-01T00:00:00Z`);
    expect(month.json.items).toEqual([expect.objectContaining({ id, status: 'published', likes: 2 })]);
    expect((await api('admin', 'PUT', `/moments/${id}`, post())).status).toBe(409);
    expect((await api('admin', 'POST', `/moments/${id}/cancel`)).status).toBe(409);
  });

  it('tags narrow who sees it; the image is uploaded once while valid and again after 3 days', async () => {
    const media = () =>
      t.database.db
        .selectFrom('moment_media')
        .select('wecom_media_id')
        .where('id', '=', imageId)
        .executeTakeFirstOrThrow();
    const firstUpload = (await media()).wecom_media_id;
    expect(firstUpload).toBeTruthy();

    const tagged = await api('admin', 'POST', '/moments', post({ axis: 'story', tagIds: [t.fx.tags.vip] }));
    expect(tagged.status, JSON.stringify(tagged.json)).toBe(201);
    advance(3_600_000);
    await runJob();
    expect((await media()).wecom_media_id).toBe(firstUpload);
    const detail = (await api('admin', 'GET', `/moments/${tagged.json.id}`)).json;
    expect(detail).toMatchObject({ status: 'published', tags: [{ name: 'VIP' }] });
    const moment = (await simMoments()).find((m) => m.moment_id !== firstMomentId)!;
    await t.corp('POST', '/scenarios/member-publishes-moment', {
      moment_id: moment.moment_id,
      userid: 'sh1a',
    });
    advance(16 * 60_000);
    await runJob();
    // only customer a carries the tag: of sh1a's two customers, one sees it
    expect((await api('admin', 'GET', `/moments/${tagged.json.id}`)).json.members[0]).toMatchObject({
      userid: 'sh1a',
      status: 'published',
      visible: 1,
    });

    advance(3 * 86_400_000);
    const later = await api('admin', 'POST', '/moments', post({ axis: 'persona' }));
    advance(3_600_000);
    await runJob();
    expect((await api('admin', 'GET', `/moments/${later.json.id}`)).json.status).toBe('published');
    const second = (await media()).wecom_media_id;
    expect(second).toBeTruthy();
    expect(second).not.toBe(firstUpload);

    // WeCom forgot a media id Siyu still takes as valid (40007): it is forgotten and uploaded again
    await t.database.db
      .updateTable('moment_media')
      .set({ wecom_expires_at: new Date(clock.now().getTime() + 30 * 86_400_000) })
      .where('id', '=', imageId)
      .execute();
    advance(3 * 86_400_000);
    const forgotten = await api('admin', 'POST', '/moments', post({ axis: 'story' }));
    advance(3_600_000);
    await runJob();
    advance(5 * 60_000);
    await t.settle();
    await runJob();
    expect((await api('admin', 'GET', `/moments/${forgotten.json.id}`)).json.status).toBe('published');
    expect((await media()).wecom_media_id).not.toBe(second);
  });

  it('an answer lost after WeCom made the task: the retry finds that Moment and makes no second one', async () => {
    const body = '会员日第二杯半价，答案丢了也只发一次';
    await t.corp('POST', '/faults/drop-answers', {
      path: '/cgi-bin/externalcontact/add_moment_task',
      times: 1,
    });
    const created = await api('admin', 'POST', '/moments', post({ body, kind: 'text', mediaIds: [] }));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const made = async () => (await simMoments()).filter((m) => m.text?.content === body);
    advance(3_600_000);
    await runJob();
    // WeCom made the task, Siyu never heard: no second call at once, the post waits for the outbox's retry
    expect(await made()).toHaveLength(1);
    expect((await api('admin', 'GET', `/moments/${created.json.id}`)).json.status).toBe('publishing');
    advance(5 * 60_000);
    await t.settle();
    await runJob();
    expect(await made()).toHaveLength(1);
    const detail = (await api('admin', 'GET', `/moments/${created.json.id}`)).json;
    expect(detail).toMatchObject({ status: 'published', memberCount: 2 });
  });

  it('keeps to WeCom’s 10 a minute: an 11th post in a minute moves to the next, and due posts past 10 wait', async () => {
    const at = inAnHour();
    const ids: number[] = [];
    for (let i = 1; i <= 11; i++) {
      const res = await api(
        'admin',
        'POST',
        '/moments',
        post({ body: `限时第${i}条`, kind: 'text', mediaIds: [], plannedAt: at }),
      );
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      ids.push(res.json.id);
    }
    const eleventh = (await api('admin', 'GET', `/moments/${ids[10]}`)).json;
    expect(eleventh.scheduleNote).toEqual({ kind: 'spread', from: at });
    expect(new Date(eleventh.plannedAt).getTime() - new Date(at).getTime()).toBeGreaterThan(0);
    expect((await api('admin', 'GET', `/moments/${ids[9]}`)).json.scheduleNote).toBeNull();

    // all 11 are due at once: 10 go now, the 11th waits for the next minute, saying why
    advance(2 * 3_600_000);
    await runJob();
    const statuses = async () =>
      Promise.all(ids.map(async (id) => (await api('admin', 'GET', `/moments/${id}`)).json));
    const first = await statuses();
    expect(first.filter((p) => p.status === 'published')).toHaveLength(10);
    expect(first[10]).toMatchObject({ status: 'planned', scheduleNote: { kind: 'deferred' } });
    advance(61_000);
    await runJob();
    expect((await statuses()).every((p) => p.status === 'published')).toBe(true);
    const refused = await t.database.db
      .selectFrom('wecom_outbox')
      .select('id')
      .where('errcode', '=', 45009)
      .execute();
    expect(refused).toEqual([]);
  });

  it('a post whose only member WeCom does not know fails visibly with WeCom’s reason', async () => {
    const created = await api('admin', 'POST', '/moments', post({ senderStaffIds: [t.fx.staff.sh2a] }));
    advance(3_600_000);
    await runJob();
    const failed = (await api('admin', 'GET', `/moments/${created.json.id}`)).json;
    expect(failed.status).toBe('failed');
    expect(failed.failure).toContain('sh2a');
  });
});

describe('scope and validation', () => {
  it('a store manager plans for their store and sees only their stores’ posts', async () => {
    const storeImage = (await api('sh1', 'POST', '/moments/media?fileName=s.png', PNG, 'image/png')).json.id;
    const own = await api(
      'sh1',
      'POST',
      '/moments',
      post({ senderStaffIds: [t.fx.staff.sh1a], mediaIds: [storeImage] }),
    );
    expect(own.status, JSON.stringify(own.json)).toBe(201);
    expect(own.json).toMatchObject({ unitId: t.fx.units.sh1, unitName: '上海一店' });
    const id = own.json.id;
    expect((await api('sh2', 'GET', `/moments/${id}`)).status).toBe(404);
    expect(
      (await api('sh2', 'PUT', `/moments/${id}`, post({ senderStaffIds: [t.fx.staff.sh2a] }))).status,
    ).toBe(404);
    expect((await api('sh2', 'POST', `/moments/${id}/cancel`)).status).toBe(404);
    const range = `from=${new Date(clock.now().getTime() - 86_400_000).toISOString()}&to=${new Date(clock.now().getTime() + 2 * 86_400_000).toISOString()}`;
    const sh2List = (await api('sh2', 'GET', `/moments?${range}`)).json.items;
    expect(sh2List.map((p: { id: number }) => p.id)).not.toContain(id);
    const hqList = (await api('admin', 'GET', `/moments?${range}`)).json.items;
    expect(hqList.map((p: { id: number }) => p.id)).toContain(id);
    // another store's member or unit; another store's media
    expect(
      (
        await api(
          'sh1',
          'POST',
          '/moments',
          post({ senderStaffIds: [t.fx.staff.gz1a], mediaIds: [storeImage] }),
        )
      ).status,
    ).toBe(400);
    expect(
      (await api('sh1', 'POST', '/moments', post({ unitId: t.fx.units.gz1, mediaIds: [storeImage] }))).status,
    ).toBe(403);
    // HQ plans in a store (the composer's unit picker): the store's members only, and its manager sees it
    const text = { kind: 'text', mediaIds: [] };
    const forStore = await api(
      'admin',
      'POST',
      '/moments',
      post({ ...text, unitId: t.fx.units.sh1, senderStaffIds: [t.fx.staff.sh1a] }),
    );
    expect(forStore.json).toMatchObject({ unitId: t.fx.units.sh1, unitName: '上海一店' });
    expect((await api('sh1', 'GET', `/moments/${forStore.json.id}`)).status).toBe(200);
    const outsideUnit = await api(
      'admin',
      'POST',
      '/moments',
      post({ ...text, unitId: t.fx.units.sh1, senderStaffIds: [t.fx.staff.gz1a] }),
    );
    expect(outsideUnit.status).toBe(400);
    expect(outsideUnit.json.error.message).toMatch(/outside the unit chosen/);
    expect((await api('sh1', 'GET', `/moments/media/${imageId}`)).status).toBe(404);
    expect((await api('admin', 'GET', `/moments/media/${imageId}`, undefined, 'image/png')).status).toBe(200);
    // the senders to choose from: the store's, filtered by persona
    const senders = (await api('sh1', 'GET', '/moments/senders')).json.items;
    expect(senders.map((s: { userid: string }) => s.userid).sort()).toEqual(['sh1a', 'sh1b']);
    await t.database.db
      .updateTable('staff')
      .set({ persona: 'expert' })
      .where('id', '=', t.fx.staff.sh1b)
      .execute();
    const experts = (await api('sh1', 'GET', '/moments/senders?persona=expert')).json.items;
    expect(experts.map((s: { userid: string }) => s.userid)).toEqual(['sh1b']);
    // a planned post can be edited and cancelled by its store
    const edited = await api(
      'sh1',
      'PUT',
      `/moments/${id}`,
      post({ title: '改了标题', senderStaffIds: [t.fx.staff.sh1b], mediaIds: [storeImage] }),
    );
    expect(edited.json).toMatchObject({
      title: '改了标题',
      senderStaffIds: [t.fx.staff.sh1b],
      unitId: t.fx.units.sh1,
    });
    expect((await api('sh1', 'POST', `/moments/${id}/cancel`)).json.status).toBe('cancelled');
    // a front-line account does not plan Moments
    as.sh1a = await login(t.fx.logins.sh1a);
    expect((await api('sh1a', 'GET', `/moments?${range}`)).status).toBe(403);
  });

  it('refuses bad content with a clear 4xx', async () => {
    const video = await api(
      'admin',
      'POST',
      '/moments/media?fileName=v.mp4',
      Buffer.alloc(64, 1),
      'video/mp4',
    );
    const videoId = video.json.id;
    const bad: [Record<string, unknown>, RegExp | null][] = [
      [{ kind: 'text', mediaIds: [], body: '   ' }, /text/],
      [{ kind: 'text', mediaIds: [imageId] }, /no media/],
      [{ mediaIds: Array(10).fill(imageId) }, null],
      [{ kind: 'images', mediaIds: [imageId, videoId] }, /1 to 9 images/],
      [{ kind: 'video', mediaIds: [imageId] }, /1 video/],
      [{ kind: 'link', linkTitle: '新品', linkUrl: 'https://example.com/p', mediaIds: [] }, /cover/],
      [{ kind: 'link', linkTitle: '长'.repeat(22), linkUrl: 'https://example.com/p' }, /64 bytes/],
      [{ kind: 'link', linkTitle: '新品', linkUrl: 'javascript:alert(1)' }, /https/],
      [{ body: '字'.repeat(2001) }, null],
      [{ mediaIds: [999999] }, /not found/],
      [{ plannedAt: '2020-01-01T00:00:00Z' }, /past/],
      [{ senderStaffIds: [] }, null],
      [{ tagIds: [t.fx.tags.fruit] }, /not in WeCom/],
      [{ axis: 'gossip' }, null],
    ];
    for (const [over, message] of bad) {
      const res = await api('admin', 'POST', '/moments', post(over));
      expect(res.status, JSON.stringify(over)).toBe(400);
      if (message) expect(res.json.error.message).toMatch(message);
    }
    const link = await api(
      'admin',
      'POST',
      '/moments',
      post({ kind: 'link', linkTitle: '新品', linkUrl: 'https://example.com/p' }),
    );
    expect(link.status).toBe(201);
    const videoPost = await api('admin', 'POST', '/moments', post({ kind: 'video', mediaIds: [videoId] }));
    expect(videoPost.status).toBe(201);
    const notMedia = await api('admin', 'POST', '/moments/media', { a: 1 });
    expect(notMedia.status).toBe(400);
    const empty = await api('admin', 'POST', '/moments/media', new Uint8Array(0), 'image/png');
    expect(empty.status).toBe(400);
  });
});

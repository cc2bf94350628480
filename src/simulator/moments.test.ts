import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MultipartFile } from '../wecom/client.ts';
import { corpPath, newCustomer, seedCorp, startTestSim, type TestSim } from './testing.ts';

/**
 * 客户朋友圈 in the simulator over real HTTP, with WeCom's limits (API-FACTS-2 §10): upload_attachment's
 * types, sizes and 3-day validity; add_moment_task's 2000 characters, 9 images or 1 video or 1 link, link
 * title ≤64 bytes, 10 tasks a minute; the visibility rules; get_moment_list's 20 per page and 30 days.
 */
const EC = '/cgi-bin/externalcontact';
let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

async function upload(
  opts: { type?: string; filename?: string; size?: number; attachmentType?: string } = {},
) {
  const file = new MultipartFile({
    filename: opts.filename ?? 'a.jpg',
    contentType: 'image/jpeg',
    data: Buffer.alloc(opts.size ?? 1000, 1),
  });
  const query = new URLSearchParams({
    access_token: await sim.token(),
    media_type: opts.type ?? 'image',
    attachment_type: opts.attachmentType ?? '1',
  });
  const res = await fetch(`${sim.url}/cgi-bin/media/upload_attachment?${query}`, {
    method: 'POST',
    headers: { 'content-type': file.contentType },
    body: Buffer.from(file.bytes),
  });
  return (await res.json()) as { errcode: number; errmsg: string; media_id: string };
}

async function friend(name: string, userid = 'zhangsan'): Promise<string> {
  const ext = await newCustomer(sim, name);
  await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
    userid,
    external_userid: ext,
    add_way: 3,
  });
  return ext;
}

const image = (media_id: string) => ({ msgtype: 'image', image: { media_id } });
const nowS = () => Math.floor(sim.clock.now().getTime() / 1000);

describe('upload_attachment', () => {
  it('checks the media type, the file type, the size and the attachment type', async () => {
    expect((await upload()).errcode).toBe(0);
    expect((await upload({ type: 'voice' })).errcode).toBe(40004);
    expect((await upload({ filename: 'a.gif' })).errcode).toBe(40005);
    expect((await upload({ size: 10 * 1024 * 1024 + 1 })).errcode).toBe(40006);
    expect((await upload({ size: 0 })).errcode).toBe(44001);
    expect((await upload({ attachmentType: '3' })).errcode).toBe(40058);
  });

  it('a media_id is valid 3 days, and only for Moments when uploaded with attachment_type 1', async () => {
    const media = await upload();
    const album = await upload({ attachmentType: '2' });
    expect((await sim.api(`${EC}/add_moment_task`, { attachments: [image(album.media_id)] })).errcode).toBe(
      40007,
    );
    await sim.ok('POST', '/sim/clock', { advance_ms: 3 * 86_400_000 + 1000 });
    expect((await sim.api(`${EC}/add_moment_task`, { attachments: [image(media.media_id)] })).errcode).toBe(
      40007,
    );
  });
});

describe('add_moment_task limits', () => {
  it('2000 characters of text, 9 images or 1 video or 1 link, a link needs its cover and a short title', async () => {
    await friend('甲');
    const add = (body: unknown) => sim.api(`${EC}/add_moment_task`, body);
    expect((await add({ text: { content: '字'.repeat(2000) } })).errcode).toBe(0);
    const long = await add({ text: { content: '字'.repeat(2001) } });
    expect([long.errcode, long.errmsg]).toEqual([40058, expect.stringContaining('invalid text size')]);
    expect((await add({})).errcode).toBe(40058);

    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await upload()).media_id);
    expect((await add({ attachments: ids.slice(0, 9).map(image) })).errcode).toBe(0);
    const ten = await add({ attachments: ids.map(image) });
    expect(ten.errmsg).toContain('invalid attachments size');
    const video = await upload({ type: 'video', filename: 'v.mp4' });
    const mixed = await add({
      attachments: [image(ids[0]!), { msgtype: 'video', video: { media_id: video.media_id } }],
    });
    expect(mixed.errmsg).toContain('invalid attachments msgtype');
    expect((await add({ attachments: [{ msgtype: 'video', video: {} }] })).errmsg).toContain('invalid msg');
    const link = { title: '春季新品', url: 'https://example.com/p/1', media_id: ids[0] };
    expect((await add({ attachments: [{ msgtype: 'link', link }] })).errcode).toBe(0);
    const noCover = await add({ attachments: [{ msgtype: 'link', link: { ...link, media_id: undefined } }] });
    expect(noCover.errmsg).toContain('invalid msg');
    const longTitle = await add({
      attachments: [{ msgtype: 'link', link: { ...link, title: '长'.repeat(22) } }],
    });
    expect(longTitle.errcode).toBe(40058);
  });

  it('10 tasks a minute per corp: the 11th is refused with 45009 until the minute has passed', async () => {
    await friend('甲');
    for (let i = 0; i < 10; i++) {
      expect((await sim.api(`${EC}/add_moment_task`, { text: { content: `第${i}条` } })).errcode).toBe(0);
    }
    expect((await sim.api(`${EC}/add_moment_task`, { text: { content: '多了' } })).errcode).toBe(45009);
    await sim.ok('POST', '/sim/clock', { advance_ms: 61_000 });
    expect((await sim.api(`${EC}/add_moment_task`, { text: { content: '下一分钟' } })).errcode).toBe(0);
  });
});

describe('visibility and the job result', () => {
  it('senders only: all their customers; tags only: the members of tagged customers; neither: everyone', async () => {
    const a = await friend('甲', 'zhangsan');
    const b = await friend('乙', 'lisi');
    await friend('丙', 'wangwu');
    const tags = await sim.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_name: '人群',
      tag: [{ name: '老客' }],
    });
    const tagId: string = tags.tag_group.tag[0].id;
    await sim.api(`${EC}/mark_tag`, { userid: 'lisi', external_userid: b, add_tag: [tagId] });

    const tasksOf = async (visible_range: unknown) => {
      const { jobid } = await sim.api(`${EC}/add_moment_task`, { text: { content: '新品' }, visible_range });
      const job = await sim.api(`${EC}/get_moment_task_result`, undefined, { jobid });
      expect(job).toMatchObject({ status: 3, type: 'add_moment_task' });
      const tasks = await sim.api(`${EC}/get_moment_task`, { moment_id: job.result.moment_id });
      const list = await sim.api(`${EC}/get_moment_list`, { start_time: nowS() - 10, end_time: nowS() + 10 });
      const listed = list.moment_list.find(
        (m: { moment_id: string }) => m.moment_id === job.result.moment_id,
      );
      return { job, users: tasks.task_list.map((t: { userid: string }) => t.userid), listed };
    };
    const senders = await tasksOf({ sender_list: { user_list: ['zhangsan'] } });
    expect(senders.users).toEqual(['zhangsan']);
    expect(senders.listed).toMatchObject({ create_type: 0, visible_type: 1 });
    expect(senders.listed.creator).toBeUndefined();
    const customers = await sim.api(`${EC}/get_moment_customer_list`, {
      moment_id: senders.job.result.moment_id,
      userid: 'zhangsan',
    });
    expect(customers.customer_list).toEqual([{ userid: 'zhangsan', external_userid: a }]);

    const tagged = await tasksOf({ external_contact_list: { tag_list: [tagId, 'etNOSUCHTAG'] } });
    expect(tagged.users).toEqual(['lisi']);
    expect(tagged.listed.visible_type).toBe(0);
    expect(tagged.job.result.invalid_external_contact_list.tag_list).toEqual(['etNOSUCHTAG']);
    expect((await tasksOf(undefined)).users).toEqual(['lisi', 'wangwu', 'zhangsan']);

    const nobody = await sim.api(`${EC}/add_moment_task`, {
      text: { content: 'x' },
      visible_range: { sender_list: { user_list: ['ghost'] } },
    });
    const failed = await sim.api(`${EC}/get_moment_task_result`, undefined, { jobid: nobody.jobid });
    expect(failed.result).toMatchObject({ errcode: 81013, invalid_sender_list: { user_list: ['ghost'] } });
    await sim.ok('POST', '/sim/clock', { advance_ms: 86_400_000 + 1000 });
    expect((await sim.api(`${EC}/get_moment_task_result`, undefined, { jobid: nobody.jobid })).errcode).toBe(
      40058,
    );
  });
});

describe('get_moment_list', () => {
  it('pages 20 at most (a larger limit falls back to 20) and refuses a range over 30 days', async () => {
    await friend('甲');
    for (let i = 0; i < 25; i++) {
      if (i % 10 === 0 && i > 0) await sim.ok('POST', '/sim/clock', { advance_ms: 61_000 });
      expect((await sim.api(`${EC}/add_moment_task`, { text: { content: `第${i}条` } })).errcode).toBe(0);
    }
    const range = { start_time: nowS() - 3600, end_time: nowS() };
    const first = await sim.api(`${EC}/get_moment_list`, { ...range, limit: 100 });
    expect(first.moment_list).toHaveLength(20);
    const second = await sim.api(`${EC}/get_moment_list`, { ...range, cursor: first.next_cursor });
    expect(second.moment_list).toHaveLength(5);
    expect(second.next_cursor).toBe('');
    const tooLong = await sim.api(`${EC}/get_moment_list`, {
      start_time: nowS() - 31 * 86_400,
      end_time: nowS(),
    });
    expect([tooLong.errcode, tooLong.errmsg]).toEqual([40058, expect.stringContaining('30 days')]);
    expect((await sim.api(`${EC}/get_moment_list`, { start_time: nowS() })).errcode).toBe(40058);
  });

  it('a member publishes once; the send result holds only the customers still friends', async () => {
    const a = await friend('甲');
    const b = await friend('乙');
    const { jobid } = await sim.api(`${EC}/add_moment_task`, {
      text: { content: '店庆' },
      visible_range: { sender_list: { user_list: ['zhangsan'] } },
    });
    const momentId = (await sim.api(`${EC}/get_moment_task_result`, undefined, { jobid })).result.moment_id;
    await sim.ok('POST', corpPath('/scenarios/customer-deletes-member'), {
      external_userid: b,
      userid: 'zhangsan',
    });
    await sim.ok('POST', corpPath('/scenarios/member-publishes-moment'), {
      moment_id: momentId,
      userid: 'zhangsan',
    });
    const again = await sim.control('POST', corpPath('/scenarios/member-publishes-moment'), {
      moment_id: momentId,
      userid: 'zhangsan',
    });
    expect(again.status).toBe(409);
    const sent = await sim.api(`${EC}/get_moment_send_result`, { moment_id: momentId, userid: 'zhangsan' });
    expect(sent.customer_list).toEqual([{ external_userid: a }]);
    const view = await sim.ok('GET', corpPath('/moments'));
    expect(view.moments[0].tasks[0]).toMatchObject({
      userid: 'zhangsan',
      publish_status: 1,
      customers: 2,
      sent: 1,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { MSG_TEMPLATE_TEXT_MAX_BYTES } from '../../wecom/limits.ts';
import { contentInput, renderContent } from './rules.ts';
import { fillTemplate, templateIssues, worstCaseBytes } from './variables.ts';

/** Rendering an item to add_msg_template's body, and the checks a saved item passes. Pure. */
describe('variables', () => {
  it('fills values, cuts long ones, and uses the text’s fallback, else the variable’s, when one is missing', () => {
    expect(
      fillTemplate('{{customer_name}}您好，我是{{ staff_name }}', {
        customer_name: '王芳',
        staff_name: '张丽',
      }),
    ).toEqual({
      text: '王芳您好，我是张丽',
      missing: [],
    });
    expect(fillTemplate('{{customer_name|朋友}}，{{store_name}}欢迎你', { customer_name: '  ' })).toEqual({
      text: '朋友，门店欢迎你',
      missing: ['customer_name', 'store_name'],
    });
    expect(fillTemplate('{{customer_name}}', {}).text).toBe('亲');
    const long = '一'.repeat(50);
    expect(fillTemplate('{{customer_name}}', { customer_name: long }).text).toBe(`${'一'.repeat(19)}…`);
  });

  it('names unknown variables, long fallbacks and braces left open', () => {
    expect(templateIssues('{{customer_name}} {{nickname}} {{ }}')).toEqual([
      { code: 'unknown_variable', at: 'nickname' },
      { code: 'unknown_variable', at: '{{ }}' },
    ]);
    expect(templateIssues(`{{customer_name|${'长'.repeat(21)}}}`)).toEqual([
      { code: 'fallback_too_long', at: 'customer_name' },
    ]);
    expect(templateIssues('你好 {{customer_name')).toEqual([
      { code: 'unclosed_braces', at: '{{customer_name' },
    ]);
  });

  it('bounds the filled length by each variable’s longest value', () => {
    expect(worstCaseBytes('ab{{customer_name}}')).toBe(2 + 20 * 3);
  });
});

const valid = (body: Record<string, unknown>) =>
  contentInput.safeParse({ kind: 'trust', title: 't', ...body });

describe('a content item’s input', () => {
  it('refuses an unknown variable, naming it', () => {
    const r = valid({ text: '{{nick}}你好' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['unknown variable {{nick}}']);
  });

  it('refuses a text that can pass WeCom’s 4000 bytes once filled, and an empty item', () => {
    const text = `${'好'.repeat(1320)}{{customer_name}}`; // 3960 bytes + up to 60
    expect(Buffer.byteLength(text.replace('{{customer_name}}', ''))).toBeLessThan(
      MSG_TEMPLATE_TEXT_MAX_BYTES,
    );
    expect(valid({ text }).error?.issues[0]?.message).toMatch(/can reach 4020 bytes/);
    expect(valid({ text: '  ' }).error?.issues[0]?.message).toBe('give a text or at least one attachment');
  });

  it('holds attachments to add_msg_template’s shapes and limits', () => {
    const link = { type: 'link', title: '门店指南', url: 'https://example.com/a' };
    expect(valid({ attachments: [link] }).success).toBe(true);
    expect(valid({ attachments: Array(10).fill(link) }).success).toBe(false);
    expect(valid({ attachments: [{ ...link, title: '长'.repeat(43) }] }).error?.issues[0]?.message).toBe(
      'title must be at most 128 bytes (UTF-8)',
    );
    expect(valid({ attachments: [{ ...link, url: 'ftp://x.com/a' }] }).success).toBe(false);
    const mp = {
      type: 'miniprogram',
      title: '点单',
      appid: 'wx0123456789abcdef',
      page: 'pages/index.html',
      picUrl: 'https://e.com/c.png',
    };
    expect(valid({ attachments: [mp] }).success).toBe(true);
    expect(valid({ attachments: [{ ...mp, page: 'pages/index' }] }).success).toBe(false);
    expect(valid({ attachments: [{ ...mp, appid: 'abc' }] }).success).toBe(false);
    expect(valid({ attachments: [{ ...mp, title: '点'.repeat(22) }] }).success).toBe(false);
    expect(valid({ attachments: [{ type: 'video', mediaId: 'x' }] }).success).toBe(false);
    expect(valid({ attachments: [{ type: 'video', url: 'https://e.com/v.mp4' }] }).success).toBe(true);
    expect(valid({ attachments: [{ type: 'image', picUrl: 'https://e.com/a.png', extra: 1 }] }).success).toBe(
      false,
    );
  });
});

describe('renderContent', () => {
  it('gives text and attachments as add_msg_template wants them, and names the media to upload', () => {
    const out = renderContent(
      {
        text: '{{customer_name}}，{{store_name}}的新品到了',
        attachments: [
          { type: 'image', picUrl: 'https://e.com/a.png' },
          {
            type: 'link',
            title: '{{customer_name}}的专属券',
            url: 'https://e.com/c',
            desc: '到{{store_name}}使用',
          },
          {
            type: 'miniprogram',
            title: '点单',
            appid: 'wx0123456789abcdef',
            page: 'p/i.html',
            picUrl: 'https://e.com/m.png',
          },
          { type: 'file', name: '菜单.pdf', url: 'https://e.com/menu.pdf' },
          { type: 'image', picUrl: 'https://wework.qpic.cn/wwpic/123/0' },
          { type: 'video', url: 'https://e.com/tea.mp4' },
        ],
      },
      { customer_name: '王芳', store_name: '上海一店' },
    );
    expect(out).toEqual({
      text: { content: '王芳，上海一店的新品到了' },
      attachments: [
        { msgtype: 'image', image: { media_id: '' } },
        { msgtype: 'link', link: { title: '王芳的专属券', url: 'https://e.com/c', desc: '到上海一店使用' } },
        {
          msgtype: 'miniprogram',
          miniprogram: { title: '点单', appid: 'wx0123456789abcdef', page: 'p/i.html', pic_media_id: '' },
        },
        { msgtype: 'file', file: { media_id: '' } },
        // an image WeCom keeps (上传图片) goes by its URL
        { msgtype: 'image', image: { pic_url: 'https://wework.qpic.cn/wwpic/123/0' } },
        { msgtype: 'video', video: { media_id: '' } },
      ],
      media: [
        { attachment: 0, mediaType: 'image', field: 'media_id', url: 'https://e.com/a.png' },
        { attachment: 2, mediaType: 'image', field: 'pic_media_id', url: 'https://e.com/m.png' },
        {
          attachment: 3,
          mediaType: 'file',
          field: 'media_id',
          url: 'https://e.com/menu.pdf',
          name: '菜单.pdf',
        },
        { attachment: 5, mediaType: 'video', field: 'media_id', url: 'https://e.com/tea.mp4' },
      ],
      missing: [],
    });
  });

  it('reports missing values and leaves out an empty text', () => {
    const out = renderContent(
      { text: '{{staff_name}}', attachments: [{ type: 'image', picUrl: 'https://e.com/a.png' }] },
      {},
    );
    expect(out.text).toBeUndefined();
    expect(out.missing).toEqual(['staff_name']);
  });

  it('keeps a link title within 128 bytes however long the name filled into it', () => {
    const out = renderContent(
      {
        text: '',
        attachments: [{ type: 'link', title: `${'券'.repeat(35)}{{customer_name}}`, url: 'https://e.com' }],
      },
      { customer_name: '长'.repeat(20) },
    );
    const title = (out.attachments[0] as { link: { title: string } }).link.title;
    expect(Buffer.byteLength(title)).toBeLessThanOrEqual(128);
    expect(title.endsWith('…')).toBe(true);
  });

  it('refuses to render what WeCom would refuse', () => {
    expect(() => renderContent({ text: '好'.repeat(1400), attachments: [] }, {})).toThrow(RangeError);
    expect(() => renderContent({ text: '{{staff_name}}', attachments: [] }, {})).toThrow(
      'text or attachments required',
    );
  });
});

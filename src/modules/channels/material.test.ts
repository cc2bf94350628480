import { describe, expect, it } from 'vitest';
import { decodePng, type Image, readQr } from '../../testing/qr.ts';
import {
  type Box,
  MATERIAL_SIZES,
  type MaterialInput,
  type MaterialKind,
  materialLayout,
  renderMaterial,
} from './material.ts';

const KINDS: MaterialKind[] = ['poster', 'table_card', 'rollup'];

const base: Omit<MaterialInput, 'kind'> = {
  qrText: 'https://siyu.example.com/c/demo/ch_8f3k2x',
  brandName: '禾木茶饮',
  title: '扫码加店长微信',
  bait: '添加即送第二杯半价券',
  storeName: '上海静安寺店',
  staffName: '店长 小林',
};

const decode = decodePng;

function count(image: Image, box: Box, test: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  for (
    let y = Math.max(0, Math.floor(box.y));
    y < Math.min(image.height, Math.ceil(box.y + box.height));
    y++
  ) {
    for (
      let x = Math.max(0, Math.floor(box.x));
      x < Math.min(image.width, Math.ceil(box.x + box.width));
      x++
    ) {
      const i = (y * image.width + x) * 4;
      if (test(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)) n++;
    }
  }
  return n;
}

/** The titles are white on the brand's teal: a pixel of a title's glyph is (nearly) pure white. */
const white = (r: number, g: number, b: number) => r >= 248 && g >= 248 && b >= 248;

function differing(a: Image, b: Image, box: Box): number {
  let n = 0;
  for (let y = Math.floor(box.y); y < Math.ceil(box.y + box.height); y++) {
    for (let x = Math.floor(box.x); x < Math.ceil(box.x + box.width); x++) {
      const i = (y * a.width + x) * 4;
      if (Math.abs(a.data[i]! - b.data[i]!) + Math.abs(a.data[i + 1]! - b.data[i + 1]!) > 60) n++;
    }
  }
  return n;
}

const area = (box: Box) => box.width * box.height;

describe('renderMaterial', () => {
  it.each(KINDS)('draws a %s as a PNG of its size whose QR reads back', async (kind) => {
    const image = decode(await renderMaterial({ ...base, kind }));
    expect({ width: image.width, height: image.height }).toEqual(MATERIAL_SIZES[kind]);
    expect(readQr(image)).toBe(base.qrText);

    const layout = await materialLayout({ ...base, kind });
    // The QR is big enough to scan from its print: at least a third of the picture's narrow side.
    expect(layout.qr.width).toBeGreaterThanOrEqual(Math.min(image.width, image.height) / 3);
    // and sits whole in its card, below or beside the text.
    expect(layout.qr.x).toBeGreaterThanOrEqual(layout.card.x);
    expect(layout.qr.x + layout.qr.width).toBeLessThanOrEqual(layout.card.x + layout.card.width);
    expect(layout.card.y + layout.card.height).toBeLessThanOrEqual(image.height);
  });

  it.each(['poster', 'table_card'] as const)(
    'draws Chinese titles as glyphs, not boxes (%s)',
    async (kind) => {
      // Two titles of as many characters: tofu (or nothing) would draw them alike.
      const a = { ...base, kind, title: '扫码加店长微信' };
      const b = { ...base, kind, title: '新品限时八折券' };
      const [layoutA, layoutB] = [await materialLayout(a), await materialLayout(b)];
      expect(layoutB.title).toMatchObject({
        x: layoutA.title.x,
        y: layoutA.title.y,
        size: layoutA.title.size,
      });
      expect(layoutB.title.lines.length).toBe(layoutA.title.lines.length);

      const [imageA, imageB, imageA2] = [
        decode(await renderMaterial(a)),
        decode(await renderMaterial(b)),
        decode(await renderMaterial(a)),
      ];
      const box = layoutA.title;
      // The same input draws the same picture, so what differs below comes from the characters.
      expect(differing(imageA, imageA2, { x: 0, y: 0, width: imageA.width, height: imageA.height })).toBe(0);
      expect(differing(imageA, imageB, box)).toBeGreaterThan(area(box) * 0.05);
      // The title has ink: a heavy Chinese title covers a good part of its box.
      expect(count(imageA, box, white)).toBeGreaterThan(area(box) * 0.1);
      expect(count(imageB, box, white)).toBeGreaterThan(area(box) * 0.1);
      // Outside the titles' boxes, nothing changed.
      const below = {
        x: 0,
        y: box.y + box.height + 4,
        width: imageA.width,
        height: imageA.height - box.y - box.height - 4,
      };
      expect(differing(imageA, imageB, below)).toBe(0);
    },
  );

  it('draws dense characters with more ink than sparse ones, as glyphs would', async () => {
    const sparse = await materialLayout({ ...base, kind: 'poster', title: '一二三十' });
    const dense = await materialLayout({ ...base, kind: 'poster', title: '警鑫赢馨' });
    expect(dense.title.size).toBe(sparse.title.size);
    const inkSparse = count(
      decode(await renderMaterial({ ...base, kind: 'poster', title: '一二三十' })),
      sparse.title,
      white,
    );
    const inkDense = count(
      decode(await renderMaterial({ ...base, kind: 'poster', title: '警鑫赢馨' })),
      dense.title,
      white,
    );
    expect(inkSparse).toBeGreaterThan(1000);
    expect(inkDense).toBeGreaterThan(inkSparse * 2);
  });

  it.each(KINDS)('wraps and cuts an over-long title inside its box (%s)', async (kind) => {
    const title = `${'新店开业全场饮品限时八折，扫码添加店长领取专属福利'.repeat(8)}END`;
    const input = { ...base, kind, title };
    const layout = await materialLayout(input);
    const { title: box, bait } = layout;
    expect(box.truncated).toBe(true);
    expect(box.lines.length).toBeGreaterThan(1);
    expect(box.lines.at(-1)).toMatch(/…$/);
    expect(box.lines.join('')).not.toContain('END');
    // The blocks keep their order and do not overlap.
    expect(box.y).toBeGreaterThan(0);
    expect(bait).not.toBeNull();
    expect(box.y + box.height).toBeLessThanOrEqual(bait!.y);
    if (kind !== 'table_card') expect(bait!.y + bait!.height).toBeLessThanOrEqual(layout.card.y);

    const image = decode(await renderMaterial(input));
    expect(readQr(image)).toBe(base.qrText);
    // No white ink beside the title's column, nor between the title and the bait.
    const right = kind === 'table_card' ? layout.card.x - 40 : image.width;
    expect(count(image, { x: 0, y: box.y, width: box.x - 2, height: box.height }, white)).toBe(0);
    const after = box.x + box.width + 2;
    expect(count(image, { x: after, y: box.y, width: right - after, height: box.height }, white)).toBe(0);
    expect(
      count(
        image,
        { x: 0, y: box.y + box.height, width: right, height: bait!.y - box.y - box.height },
        white,
      ),
    ).toBe(0);
    expect(count(image, box, white)).toBeGreaterThan(area(box) * 0.05);
  });

  it('keeps a short title whole and balances a longer one over its lines', async () => {
    const short = await materialLayout({ ...base, kind: 'poster', title: '扫码加店长微信' });
    expect(short.title.lines).toEqual(['扫码加店长微信']);
    const long = await materialLayout({ ...base, kind: 'poster', title: '新店开业全场饮品限时八折扫码领券' });
    expect(long.title.truncated).toBe(false);
    expect(long.title.lines.join('')).toBe('新店开业全场饮品限时八折扫码领券');
    const lengths = long.title.lines.map((line) => [...line].length);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
  });

  it('breaks between Chinese characters and spaces, never inside a Latin word or before a comma', async () => {
    const title = 'Hemu Tea 禾木茶饮，欢迎光临，扫码添加店长 Lin 领取 welcome 福利券';
    const layout = await materialLayout({ ...base, kind: 'rollup', title });
    const lines = layout.title.lines;
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('').replace(/\s/g, '')).toBe(title.replace(/\s/g, ''));
    for (const line of lines) expect(line).not.toMatch(/^[，。、]/);
    const words = lines.join(' ').match(/[A-Za-z]+/g);
    expect(words).toEqual(['Hemu', 'Tea', 'Lin', 'welcome']);
  });

  it('draws text holding <, & and " as it is, for every kind', async () => {
    const input = {
      ...base,
      qrText: 'https://siyu.example.com/c/demo/x?a=1&b=<2>&c="3"',
      brandName: 'A&B <茶> "饮"',
      title: '<script>买一送一 & "惊喜"</script>',
      bait: "a < b && c > 'd' ]]> <!--",
      storeName: '<店> &amp;',
      staffName: '"小林" & \'Amy\'',
    };
    for (const kind of KINDS) {
      const image = decode(await renderMaterial({ ...input, kind }));
      expect({ width: image.width, height: image.height }).toEqual(MATERIAL_SIZES[kind]);
      expect(readQr(image)).toBe(input.qrText);
      const layout = await materialLayout({ ...input, kind });
      expect(layout.title.lines.join('').replace(/\s/g, '')).toBe(input.title.replace(/\s/g, ''));
      expect(count(image, layout.title, white)).toBeGreaterThan(area(layout.title) * 0.03);
    }
  });

  it('leaves out what is not given: no bait band, no store, no staff', async () => {
    const input = {
      kind: 'poster' as const,
      qrText: base.qrText,
      brandName: '禾木茶饮',
      title: '扫码加店长微信',
      bait: '',
    };
    const layout = await materialLayout(input);
    expect(layout.bait).toBeNull();
    const full = await materialLayout({ ...base, kind: 'poster' });
    expect(layout.card.height).toBeLessThan(full.card.height);
    expect(readQr(decode(await renderMaterial(input)))).toBe(base.qrText);
  });

  it('skips characters the font lacks (emoji) and refuses an empty QR text', async () => {
    const image = decode(await renderMaterial({ ...base, kind: 'table_card', title: '扫码🎉加好友😀' }));
    expect(readQr(image)).toBe(base.qrText);
    await expect(renderMaterial({ ...base, kind: 'poster', qrText: '' })).rejects.toThrow(/QR/);
  });

  it('renders in well under a second once the font is loaded', async () => {
    await renderMaterial({ ...base, kind: 'poster', title: '限时福利' });
    const started = performance.now();
    await renderMaterial({ ...base, kind: 'poster', title: '限时福利' });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

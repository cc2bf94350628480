import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rgbPng } from './png.ts';

describe('rgbPng', () => {
  it('writes a PNG whose header, checksums and pixels read back', () => {
    const png = rgbPng(3, 2, (x, y) => [x * 100, y * 200, 7]);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks = new Map<string, Buffer>();
    for (let at = 8; at < png.length; ) {
      const len = png.readUInt32BE(at);
      const type = png.subarray(at + 4, at + 8).toString('ascii');
      chunks.set(type, png.subarray(at + 8, at + 8 + len));
      at += 12 + len;
    }
    expect([...chunks.keys()]).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks.get('IHDR')!;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([3, 2, 8, 2]);
    const raw = inflateSync(chunks.get('IDAT')!);
    expect(raw.length).toBe(2 * (1 + 3 * 3));
    // row 1, pixel 2: filter byte, then (200, 200, 7)
    expect([...raw.subarray(10 + 1 + 6, 10 + 1 + 9)]).toEqual([200, 200, 7]);
  });
});

import jsqrModule from 'jsqr';
import { PNG } from 'pngjs';

type DecodeQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
/** jsqr is CommonJS: its default export arrives as the module or under `default`, depending on the loader. */
const jsQR: DecodeQr =
  (jsqrModule as unknown as { default?: DecodeQr }).default ?? (jsqrModule as unknown as DecodeQr);

export type Image = ReturnType<typeof PNG.sync.read>;

export const decodePng = (png: Buffer): Image => PNG.sync.read(png);

/** The text of the QR code in a picture, or undefined when none reads. */
export function readQr(image: Image): string | undefined {
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  return jsQR(pixels, image.width, image.height)?.data;
}

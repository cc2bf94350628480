import QRCode from 'qrcode';

/**
 * Printable material for a channel code: a poster, a table card and a roll-up banner, drawn in the browser
 * (its fonts render the Chinese text) and saved as PNG. The QR code points at the code's landing page,
 * which counts the scan and shows WeCom's «联系我» QR.
 */

export type MaterialKind = 'poster' | 'table_card' | 'rollup';

export const MATERIAL_SIZES: Record<MaterialKind, { width: number; height: number }> = {
  poster: { width: 1080, height: 1920 },
  table_card: { width: 1200, height: 900 },
  rollup: { width: 800, height: 2000 },
};

export interface MaterialInput {
  kind: MaterialKind;
  /** What the QR encodes: the landing page URL. */
  url: string;
  brandName: string;
  title: string;
  bait: string;
  storeName: string;
}

const FONT = '"PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif';
const GREEN = '#0f766e';

/** Breaks text into lines that fit `width` (Chinese wraps per character), at most `max` lines, the last with …. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const ch of text) {
    if (ctx.measureText(line + ch).width > width && line) {
      lines.push(line);
      line = ch;
      if (lines.length === max) break;
    } else {
      line += ch;
    }
  }
  if (lines.length < max && line) lines.push(line);
  const consumed = lines.join('').length;
  if (consumed < [...text].length) {
    let last = lines[lines.length - 1] ?? '';
    while (last && ctx.measureText(`${last}…`).width > width) last = last.slice(0, -1);
    lines[lines.length - 1] = `${last}…`;
  }
  return lines;
}

function drawQr(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, size: number) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = Math.floor(size / (n + quiet * 2));
  const offset = Math.floor((size - cell * n) / 2);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(x, y, size, size);
  ctx.fillStyle = '#000000';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.modules.get(r, c)) ctx.fillRect(x + offset + c * cell, y + offset + r * cell, cell, cell);
    }
  }
}

/** Draws the material on a canvas of its kind's size. */
export function drawMaterial(canvas: HTMLCanvasElement, m: MaterialInput): void {
  const { width, height } = MATERIAL_SIZES[m.kind];
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  const unit = Math.min(width, height) / 100;
  const landscape = width > height;

  ctx.fillStyle = '#eef6f3';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = GREEN;
  ctx.fillRect(0, 0, width, unit * 12);
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  ctx.fillStyle = '#ffffff';
  ctx.font = `600 ${unit * 5}px ${FONT}`;
  ctx.fillText(m.brandName, width / 2, unit * 6);

  // Landscape (table card): text on the left, QR on the right; portrait: stacked.
  const textX = landscape ? width * 0.3 : width / 2;
  const textWidth = landscape ? width * 0.5 : width * 0.84;
  let y = unit * (landscape ? 24 : 22);
  ctx.fillStyle = '#16302b';
  ctx.font = `700 ${unit * 8}px ${FONT}`;
  for (const line of wrap(ctx, m.title, textWidth, 2)) {
    ctx.fillText(line, textX, y);
    y += unit * 10;
  }
  if (m.bait) {
    y += unit * 2;
    ctx.font = `600 ${unit * 6}px ${FONT}`;
    const baitLines = wrap(ctx, m.bait, textWidth - unit * 8, 2);
    const bandHeight = baitLines.length * unit * 8 + unit * 4;
    ctx.fillStyle = GREEN;
    ctx.fillRect(textX - textWidth / 2, y - unit * 4, textWidth, bandHeight);
    ctx.fillStyle = '#ffffff';
    for (const line of baitLines) {
      ctx.fillText(line, textX, y + unit * 2);
      y += unit * 8;
    }
    y += unit * 6;
  }

  const qrSize = landscape ? width * 0.3 : width * 0.6;
  const qrX = landscape ? width * 0.62 : (width - qrSize) / 2;
  const qrY = landscape ? height * 0.22 : Math.max(y + unit * 6, height * 0.42);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(qrX - unit * 3, qrY - unit * 3, qrSize + unit * 6, qrSize + unit * 6);
  drawQr(ctx, m.url, qrX, qrY, qrSize);

  ctx.fillStyle = '#4b635d';
  ctx.font = `${unit * 4}px ${FONT}`;
  const captionX = landscape ? qrX + qrSize / 2 : width / 2;
  ctx.fillText('微信扫码 · 添加企业微信', captionX, qrY + qrSize + unit * 8);
  ctx.font = `600 ${unit * 4.5}px ${FONT}`;
  ctx.fillText(
    m.storeName,
    landscape ? textX : width / 2,
    landscape ? height - unit * 10 : qrY + qrSize + unit * 16,
  );
}

/** Draws the material and saves it as `<name>.png`. */
export async function downloadMaterial(m: MaterialInput, name: string): Promise<void> {
  const canvas = document.createElement('canvas');
  drawMaterial(canvas, m);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the canvas could not be saved as PNG');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

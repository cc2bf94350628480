import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Deps } from '../context.ts';
import { openCardToken } from './persona.ts';

const PERSONA_ZH: Record<string, string> = {
  brand: '品牌号',
  expert: '专家顾问',
  founder: '创始人',
  sales: '专属顾问',
  assistant: '服务助理',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{margin:0;font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#eef6f3;color:#16302b}
main{max-width:420px;margin:0 auto;padding:24px 16px}.card{background:#fff;border-radius:16px;padding:20px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
.brand{color:#4b635d;font-size:13px}h1{font-size:22px;margin:6px 0 2px}.title{color:#0f766e;font-size:14px}
.persona{display:inline-block;background:#c4eadf;color:#0b4a44;border-radius:10px;padding:2px 8px;font-size:12px;margin-left:6px}
.intro{font-size:15px;line-height:1.6;margin:14px 0;white-space:pre-wrap}.store{font-size:13px;color:#4b635d}
.mall{display:block;text-align:center;background:#0f766e;color:#fff;border-radius:12px;padding:12px;margin:16px 0;text-decoration:none;font-size:16px}
.qr{text-align:center;margin-top:8px}.qr img{width:220px;height:220px}.hint{color:#4b635d;font-size:13px;text-align:center}</style>
</head><body><main>${body}</main></body></html>`;
}

/**
 * `GET /card/:token`: a member's name card (名片), public to whoever holds the signed link (no guessable id):
 * the persona's display name, title and introduction, the store, the store or mall entry, and the member's
 * WeCom QR drawn on the server (no third-party image service: it works offline).
 */
export function cardRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/card/:token',
      { schema: { hide: true, params: z.object({ token: z.string().min(1).max(200) }) } },
      async (request, reply) => {
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        const who = openCardToken(deps.pii, request.params.token);
        const row = who
          ? await deps.db
              .selectFrom('staff as s')
              .innerJoin('org_units as u', (j) =>
                j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
              )
              .innerJoin('corps as c', 'c.corp_id', 's.corp_id')
              .select([
                's.name',
                's.persona',
                's.persona_name',
                's.title',
                's.persona_intro',
                's.card_mall_title',
                's.card_mall_url',
                's.qr_code',
                's.status',
                'u.name as unit_name',
                'c.name as brand',
              ])
              .where('s.corp_id', '=', who.corpId)
              .where('s.id', '=', who.staffId)
              .executeTakeFirst()
          : undefined;
        if (!row || row.status === 'departed') {
          return reply
            .code(404)
            .send(
              page(
                '名片已失效',
                '<div class="card"><h1>名片已失效</h1><p class="hint">请联系门店获取新的名片</p></div>',
              ),
            );
        }
        const name = row.persona_name || row.name;
        const mall = row.card_mall_url
          ? /^https?:\/\//.test(row.card_mall_url)
            ? `<a class="mall" href="${escapeHtml(row.card_mall_url)}">${escapeHtml(row.card_mall_title || '进入商城')}</a>`
            : `<div class="mall">${escapeHtml(row.card_mall_title || '进入商城')}<br><small>${escapeHtml(row.card_mall_url)}</small></div>`
          : '';
        const qr = row.qr_code
          ? `<div class="qr"><img alt="企业微信二维码" src="${await QRCode.toDataURL(row.qr_code, { margin: 2, width: 440, errorCorrectionLevel: 'M' })}"></div><p class="hint">长按识别二维码，添加我的企业微信</p>`
          : '<p class="hint">二维码暂未生成</p>';
        return reply.send(
          page(
            `${name} · ${row.brand}`,
            `<div class="card"><div class="brand">${escapeHtml(row.brand)}</div>
<h1>${escapeHtml(name)}<span class="persona">${PERSONA_ZH[row.persona] ?? ''}</span></h1>
${row.title ? `<div class="title">${escapeHtml(row.title)}</div>` : ''}
<div class="store">${escapeHtml(row.unit_name)}</div>
${row.persona_intro ? `<div class="intro">${escapeHtml(row.persona_intro)}</div>` : ''}
${mall}${qr}</div>`,
          ),
        );
      },
    );
  };
}

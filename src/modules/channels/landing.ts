import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Pii } from '../../platform/pii.ts';
import type { Deps } from '../context.ts';
import { brandDayStart } from './assignment.ts';

/** The path printed on material: the customer's scan lands here first (counted), then sees WeCom's QR. */
export const landingPath = (corpId: string, state: string) => `/c/${corpId}/${encodeURIComponent(state)}`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{margin:0;font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#eef6f3;color:#16302b;text-align:center}
main{max-width:420px;margin:0 auto;padding:32px 20px}h1{font-size:22px;margin:8px 0}.bait{background:#0f766e;color:#fff;border-radius:12px;padding:12px 16px;font-size:18px;margin:16px 0}
.qr{background:#fff;border-radius:16px;padding:20px;box-shadow:0 2px 12px rgba(0,0,0,.08)}.qr img{width:240px;height:240px}.hint{color:#4b635d;font-size:14px;margin-top:12px}</style>
</head><body><main>${body}</main></body></html>`;
}

/** The landing page's own cookie: who looked before, so that a reload is not another scan. */
const VISITOR_COOKIE = 'sy_v';

/**
 * Who is looking, as a keyed hash (no address or browser is kept): the visitor named by the landing page's
 * cookie when its signature holds, else one derived from the address and browser, which the cookie then
 * carries, so the first look and every reload of the same phone are one visitor even when the cookie is
 * refused. Forged cookies fail the signature: a script cannot mint visitors without new addresses.
 */
export function scanVisitor(
  pii: Pii,
  request: { ip: string; headers: Record<string, unknown>; cookies: Record<string, string | undefined> },
): { visitor: string; cookie: string | null } {
  const sign = (id: string) => pii.hash(`scan-cookie|${id}`).slice(0, 16);
  const [id, sig] = (request.cookies[VISITOR_COOKIE] ?? '').split('.');
  if (id && sig && /^[0-9a-f]{32}$/.test(id) && sig === sign(id)) return { visitor: id, cookie: null };
  const agent = String(request.headers['user-agent'] ?? '');
  const visitor = pii.hash(`scan-visitor|${request.ip}|${agent}`).slice(0, 32);
  return { visitor, cookie: `${visitor}.${sign(visitor)}` };
}

/**
 * `GET /c/:corp/:state`: the landing page a channel code's material points to. It counts the scan (the
 * funnel's first step, which WeCom does not report) once per visitor, code and brand day, and shows WeCom's
 * «联系我» QR to long-press.
 */
export function landingRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/c/:corp/:state',
      {
        schema: {
          hide: true,
          params: z.object({
            corp: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/),
            state: z.string().min(1).max(30),
          }),
        },
      },
      async (request, reply) => {
        const { corp, state } = request.params;
        const code = await deps.db
          .selectFrom('channel_codes as k')
          .innerJoin('channels as c', (j) =>
            j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
          )
          .select(['k.id', 'k.qr_code', 'c.name', 'c.bait'])
          .where('k.corp_id', '=', corp)
          .where('k.state', '=', state)
          .where('c.status', '=', 'active')
          .executeTakeFirst();
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        if (!code) {
          return reply
            .code(404)
            .send(
              page(
                '二维码已失效',
                '<h1>二维码已失效</h1><p class="hint">请联系门店工作人员获取新的二维码</p>',
              ),
            );
        }
        const { visitor, cookie } = scanVisitor(deps.pii, request);
        const now = deps.clock.now();
        await deps.db.transaction().execute(async (tx) => {
          const first = await tx
            .insertInto('channel_scans')
            .values({ corp_id: corp, code_id: code.id, day: brandDayStart(now), visitor, scanned_at: now })
            .onConflict((oc) => oc.doNothing())
            .returning('code_id')
            .executeTakeFirst();
          if (!first) return;
          await tx
            .updateTable('channel_codes')
            .set({ scans: sql`scans + 1` })
            .where('corp_id', '=', corp)
            .where('id', '=', code.id)
            .execute();
        });
        if (cookie) {
          reply.setCookie(VISITOR_COOKIE, cookie, {
            path: '/c/',
            httpOnly: true,
            sameSite: 'lax',
            secure: deps.settings.secureCookies,
            maxAge: 365 * 86_400,
          });
        }
        const corpRow = await deps.db
          .selectFrom('corps')
          .select('name')
          .where('corp_id', '=', corp)
          .executeTakeFirst();
        const brand = escapeHtml(corpRow?.name ?? '');
        const qr = code.qr_code
          ? `<div class="qr"><img src="${escapeHtml(code.qr_code)}" alt="企业微信二维码"><div class="hint">长按识别二维码，添加企业微信</div></div>`
          : '<div class="qr"><p>二维码生成中，请稍后刷新</p></div>';
        return reply.send(
          page(
            `${corpRow?.name ?? ''} · ${code.name}`,
            `<div class="hint">${brand}</div><h1>${escapeHtml(code.name)}</h1>${code.bait ? `<div class="bait">${escapeHtml(code.bait)}</div>` : ''}${qr}`,
          ),
        );
      },
    );
  };
}

import type { Linkage, WelcomeTemplate } from './schema.ts';
import { welcomeInvitesToGroup } from './settings.ts';

/** Variables a welcome or remark template may use, as `{客户昵称}`, `{员工}`, `{诱饵}`, `{渠道}`, `{日期}`. */
export type TemplateVars = Record<'客户昵称' | '员工' | '诱饵' | '渠道', string>;

export function renderTemplate(template: string, vars: TemplateVars, now: Date): string {
  const date = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  const all: Record<string, string> = { ...vars, 日期: date };
  return template.replace(/\{(客户昵称|员工|诱饵|渠道|日期)\}/g, (_, k: string) => all[k] ?? '');
}

/** send_welcome_msg allows 4,000 bytes of text. */
const MAX_TEXT_BYTES = 4000;

function clipBytes(text: string, max: number): string {
  let out = text;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

/**
 * The send_welcome_msg body for a channel's welcome, or null when the channel has none (the add is still
 * attributed and tagged). `invite` is the seam for the groups capability: it passes the code's effective
 * linkage and a group invitation attachment, which joins the welcome under the friend-then-group linkage.
 */
export function welcomeRequest(
  welcomeCode: string,
  w: WelcomeTemplate,
  vars: TemplateVars,
  now: Date,
  invite?: { linkage: Linkage; attachment: Record<string, unknown> },
): Record<string, unknown> | null {
  const attachments: Record<string, unknown>[] = [];
  if (w.imageUrl) attachments.push({ msgtype: 'image', image: { pic_url: w.imageUrl } });
  if (w.link) attachments.push({ msgtype: 'link', link: { ...w.link, desc: w.link.desc ?? '' } });
  if (w.miniprogram) attachments.push({ msgtype: 'miniprogram', miniprogram: w.miniprogram });
  if (invite && welcomeInvitesToGroup(invite.linkage)) attachments.push(invite.attachment);
  const text = w.text ? clipBytes(renderTemplate(w.text, vars, now), MAX_TEXT_BYTES) : '';
  if (!text && attachments.length === 0) return null;
  return {
    welcome_code: welcomeCode,
    ...(text ? { text: { content: text } } : {}),
    ...(attachments.length ? { attachments: attachments.slice(0, 9) } : {}),
  };
}

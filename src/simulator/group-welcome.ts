import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseApi, utf8Bytes } from './api-input.ts';
import { WecomError } from './errors.ts';
import type { CorpState } from './model.ts';
import type { Simulator } from './state.ts';

/**
 * 入群欢迎语素材 (group_welcome_template): add / edit / get / del. The text may hold %NICKNAME%, which WeCom
 * replaces with the joiner's nickname; an admin picks the template for a group in the WeCom client.
 */

export interface GroupWelcomeTemplate {
  template_id: string;
  text?: { content: string };
  image?: Record<string, unknown>;
  link?: Record<string, unknown>;
  miniprogram?: Record<string, unknown>;
  notify: number;
  create_time: number;
}

type WithTemplates = CorpState & { group_welcome_templates?: Record<string, GroupWelcomeTemplate> };

function templates(corp: CorpState): Record<string, GroupWelcomeTemplate> {
  const c = corp as WithTemplates;
  c.group_welcome_templates ??= {};
  return c.group_welcome_templates;
}

const content = {
  text: z.object({ content: utf8Bytes('text.content', 3000) }).optional(),
  image: z.record(z.string(), z.unknown()).optional(),
  link: z
    .object({ title: z.string().min(1), url: z.string().min(1) })
    .passthrough()
    .optional(),
  miniprogram: z.record(z.string(), z.unknown()).optional(),
  file: z.record(z.string(), z.unknown()).optional(),
  video: z.record(z.string(), z.unknown()).optional(),
  agentid: z.coerce.number().int().optional(),
  notify: z.coerce.number().int().min(0).max(1).optional(),
};
const addBody = z.object(content);
const editBody = z.object({ template_id: z.string(), ...content });
const idBody = z.object({ template_id: z.string() });

function requireTemplate(corp: CorpState, id: string): GroupWelcomeTemplate {
  const all = templates(corp);
  const t = Object.hasOwn(all, id) ? all[id] : undefined;
  if (!t) throw new WecomError(40058, 'invalid template_id');
  return t;
}

function body(input: z.infer<typeof addBody>) {
  if (
    !input.text?.content &&
    !input.image &&
    !input.link &&
    !input.miniprogram &&
    !input.file &&
    !input.video
  ) {
    throw new WecomError(40058, 'text, image, link, miniprogram, file or video is required');
  }
  return {
    ...(input.text ? { text: input.text } : {}),
    ...(input.image ? { image: input.image } : {}),
    ...(input.link ? { link: input.link } : {}),
    ...(input.miniprogram ? { miniprogram: input.miniprogram } : {}),
    notify: input.notify ?? 1,
  };
}

export function apiAddGroupWelcome(sim: Simulator, corp: CorpState, raw: unknown) {
  const input = parseApi(addBody, raw);
  const template_id = `msg${randomBytes(12).toString('hex')}`;
  templates(corp)[template_id] = { template_id, ...body(input), create_time: sim.nowS() };
  return { template_id };
}

export function apiEditGroupWelcome(corp: CorpState, raw: unknown) {
  const input = parseApi(editBody, raw);
  const t = requireTemplate(corp, input.template_id);
  Object.assign(
    t,
    { text: undefined, image: undefined, link: undefined, miniprogram: undefined },
    body(input),
  );
  return {};
}

export function apiGetGroupWelcome(corp: CorpState, raw: unknown) {
  const t = requireTemplate(corp, parseApi(idBody, raw).template_id);
  const { template_id: _id, create_time: _t, notify: _n, ...rest } = t;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

export function apiDelGroupWelcome(corp: CorpState, raw: unknown) {
  const id = parseApi(idBody, raw).template_id;
  requireTemplate(corp, id);
  delete templates(corp)[id];
  return {};
}

const EC = '/cgi-bin/externalcontact';

/** Registered in api-routes.ts with one line. */
export const groupWelcomeRoutes: [
  'POST',
  string,
  (ctx: { sim: Simulator; corp: CorpState; body: unknown }) => Record<string, unknown>,
][] = [
  ['POST', `${EC}/group_welcome_template/add`, ({ sim, corp, body }) => apiAddGroupWelcome(sim, corp, body)],
  ['POST', `${EC}/group_welcome_template/edit`, ({ corp, body }) => apiEditGroupWelcome(corp, body)],
  ['POST', `${EC}/group_welcome_template/get`, ({ corp, body }) => apiGetGroupWelcome(corp, body)],
  ['POST', `${EC}/group_welcome_template/del`, ({ corp, body }) => apiDelGroupWelcome(corp, body)],
];

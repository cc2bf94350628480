import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

/** POST /outreach/plans */
export type PlanInput = Body<'/api/v1/outreach/plans', 'post'>;
export type Plan = Reply<'/api/v1/outreach/plans', 'post'>;
export type PlanSample = Plan['samples']['receiving'][number];
export type Audience = PlanInput['audience'];
export type SenderRule = PlanInput['senderRule'];
export type ContentKind = NonNullable<PlanInput['contentKind']>;
export type GuardMode = NonNullable<PlanInput['guard']>;
export type Exclusion = keyof Plan['excluded'];
/** POST /outreach/mass-sends */
export type MassSendInput = Body<'/api/v1/outreach/mass-sends', 'post'>;
export type Attachment = NonNullable<MassSendInput['attachments']>[number];
/** GET /outreach/mass-sends/:id, and the reply of create, remind and cancel. */
export type MassSend = Reply<'/api/v1/outreach/mass-sends/{id}', 'get'>;
export type MassSendItem = Reply<'/api/v1/outreach/mass-sends', 'get'>['items'][number];
export type MassSendStatus = MassSend['status'];
export type Recipient = Reply<'/api/v1/outreach/mass-sends/{id}/recipients', 'get'>['items'][number];
export type RecipientStatus = Recipient['status'];
export type RecipientQuery = Query<'/api/v1/outreach/mass-sends/{id}/recipients', 'get'>;

/** POST /outreach/group-plans and the group part of a send. */
export type GroupPlanInput = Body<'/api/v1/outreach/group-plans', 'post'>;
export type GroupPlan = Reply<'/api/v1/outreach/group-plans', 'post'>;
export type GroupAudience = GroupPlanInput['groups'];
export type GroupExclusion = keyof GroupPlan['excluded'];
export type Recurrence = NonNullable<MassSendInput['recurrence']>;
export type GroupRecipient = Reply<'/api/v1/outreach/mass-sends/{id}/groups', 'get'>['items'][number];
export type GroupRecipientQuery = Query<'/api/v1/outreach/mass-sends/{id}/groups', 'get'>;
export type GroupRecipientStatus = NonNullable<GroupRecipientQuery['status']>;
export type Target = NonNullable<MassSendInput['target']>;

export const GROUP_EXCLUSIONS = [
  'no_owner',
  'owner_inactive',
  'over_cap',
  'coupon_guard',
] as const satisfies readonly GroupExclusion[];
export const GROUP_RECIPIENT_STATUSES = [
  'sent',
  'queued',
  'unsent',
  'not_owner',
  'over_cap',
  'excluded',
  'failed',
  'cancelled',
  'unconfirmed',
  'planned',
] as const satisfies readonly GroupRecipientStatus[];
/** Hours a group send's owner has to confirm before Siyu withdraws the task (the server's GROUP_CONFIRM_HOURS). */
export const GROUP_CONFIRM_HOURS = 24;
/** The variables a group send's text may hold (the server refuses the others). */
export const GROUP_VARIABLES = [
  'group_name',
  'store_name',
  'staff_name',
  'persona_name',
  'brand_name',
] as const;

export const CONTENT_KINDS = [
  'product',
  'coupon',
  'trust',
  'persona',
  'event',
] as const satisfies readonly ContentKind[];
export const EXCLUSIONS = [
  'not_friend',
  'no_follow_in_scope',
  'opted_out',
  'not_price_sensitive',
  'monthly_cap',
  'capped',
  'quiet_hours',
] as const satisfies readonly Exclusion[];
export const RECIPIENT_STATUSES = [
  'sent',
  'queued',
  'deferred',
  'unsent',
  'not_friend',
  'over_cap',
  'excluded',
  'failed',
  'cancelled',
  'planned',
] as const satisfies readonly RecipientStatus[];

export const outreachApi = {
  plan: (input: PlanInput, signal?: AbortSignal) =>
    unwrap(client.POST('/api/v1/outreach/plans', { body: input, signal })),
  list: (cursor: string | null, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/outreach/mass-sends', {
        params: { query: { cursor: cursor ?? undefined, limit: 20 } },
        signal,
      }),
    ),
  get: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/outreach/mass-sends/{id}', { params: { path: { id } }, signal })),
  create: (input: MassSendInput) => unwrap(client.POST('/api/v1/outreach/mass-sends', { body: input })),
  recipients: (id: number, query: RecipientQuery, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/outreach/mass-sends/{id}/recipients', { params: { path: { id }, query }, signal }),
    ),
  groupPlan: (input: GroupPlanInput, signal?: AbortSignal) =>
    unwrap(client.POST('/api/v1/outreach/group-plans', { body: input, signal })),
  groups: (id: number, query: GroupRecipientQuery, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/outreach/mass-sends/{id}/groups', { params: { path: { id }, query }, signal }),
    ),
  remind: (id: number) =>
    unwrap(client.POST('/api/v1/outreach/mass-sends/{id}/remind', { params: { path: { id } } })),
  cancel: (id: number) =>
    unwrap(client.POST('/api/v1/outreach/mass-sends/{id}/cancel', { params: { path: { id } } })),
};

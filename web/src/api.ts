/**
 * The console's one door to the Siyu server: typed calls to /api/v1, cookie session, CSRF header on
 * mutating requests, Accept-Language following the UI language, and one error type.
 */

export type Role = 'hq_admin' | 'region_manager' | 'store_manager' | 'staff';
export type UnitKind = 'hq' | 'region' | 'area' | 'store' | 'team';
export type Persona = 'brand' | 'expert' | 'founder' | 'sales' | 'assistant';
export type JourneyRole =
  | 'online_ops'
  | 'customer_service'
  | 'consultant'
  | 'sales'
  | 'doctor'
  | 'store_staff';
export type StaffStatus = 'active' | 'disabled' | 'departed';
export type FollowStatus = 'active' | 'deleted_by_customer' | 'deleted_by_staff';
export type Gender = 0 | 1 | 2;
export type TagAudience = 'all' | 'ops' | 'front_line';

export interface Me {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  corpId: string;
  corpName: string;
  unitId: number;
  unitName: string;
  staffId: number | null;
}

export interface Session {
  account: Me;
  csrfToken: string;
}

export interface Unit {
  id: number;
  parentId: number | null;
  kind: UnitKind;
  name: string;
  code: string | null;
}

/** A unit's subtree totals: its staff, and the customers the caller sees through them. */
export interface UnitCounts {
  unitId: number;
  staffCount: number;
  customerCount: number;
}

export interface Staff {
  id: number;
  userid: string;
  name: string;
  unitId: number;
  unitName: string;
  persona: Persona;
  personaName: string | null;
  journeyRole: JourneyRole;
  title: string | null;
  status: StaffStatus;
  customerCount: number;
}

export interface CustomerRow {
  id: number;
  externalUserid: string;
  name: string;
  gender: Gender;
  avatar: string | null;
  phoneMasked: string | null;
  firstAddedAt: string | null;
  tags: { id: number; name: string }[];
  owners: { staffId: number; staffName: string; journeyRole: JourneyRole }[];
  /** null until the facts job first computes it */
  stage: LifecycleStage | null;
}

export interface Follow {
  id: number;
  staff: {
    id: number;
    name: string;
    persona: Persona;
    personaName: string | null;
    unitId: number;
    unitName: string;
  };
  remark: string | null;
  description: string | null;
  addWay: number;
  state: string | null;
  journeyRole: JourneyRole;
  status: FollowStatus;
  addedAt: string | null;
}

export interface TimelineEvent {
  id: number | string;
  at: string;
  kind: string;
  summary: string;
  staffName: string | null;
}

/** A channel code the customer came through (attribution). */
export interface Acquisition {
  channelId: number;
  channelName: string;
  method: string;
  scene: string;
  bait: string;
  staffName: string;
  addedAt: string;
}

export interface CustomerDetail {
  customer: {
    id: number;
    externalUserid: string;
    unionid: string | null;
    name: string;
    gender: Gender;
    avatar: string | null;
    phoneMasked: string | null;
    firstAddedAt: string | null;
    createdAt: string;
  };
  follows: Follow[];
  tags: { id: number; name: string; groupId: number; groupName: string }[];
  timeline: TimelineEvent[];
  /** Derived from orders and membership; null until first computed. */
  facts: FactsCard | null;
}

/** A corp tag's or group's sync with WeCom: on its way, done, refused (with WeCom's error), or Siyu only. */
export type TagSync = 'pending' | 'synced' | 'failed' | 'local';

export interface TagSyncState {
  sync: TagSync;
  syncError: { errcode: number | null; message: string } | null;
}

export interface TagGroup extends TagSyncState {
  id: number;
  name: string;
  audience: TagAudience;
  tags: ({ id: number; name: string } & TagSyncState)[];
}

export interface TagSyncFailure {
  id: number;
  action: 'create' | 'edit' | 'delete';
  what: string;
  errcode: number | null;
  error: string;
  at: string | null;
}

export type TagRuleKind = 'order_product' | 'order_amount' | 'order_coupon' | 'keyword' | 'channel';

/** One kind of auto-tag rule and its condition. */
export type TagRuleCondition =
  | { kind: 'order_product'; condition: { productCodes: string[] } }
  | { kind: 'order_amount'; condition: { minPaidFen: number } }
  | { kind: 'order_coupon'; condition: { couponCodes: string[] } }
  | { kind: 'keyword'; condition: { keywords: string[] } }
  | { kind: 'channel'; condition: { methods: ChannelMethod[]; scenes: string[] } };

export type TagRuleInput = TagRuleCondition & { name: string; tagIds: number[]; enabled: boolean };

export type TagRule = TagRuleCondition & {
  id: number;
  name: string;
  enabled: boolean;
  tags: { id: number; name: string }[];
  /** Customers in the caller's scope this rule has put a tag on. */
  customersTagged: number;
  updatedAt: string;
};

export interface ChannelTagsRow {
  channelId: number;
  name: string;
  method: ChannelMethod;
  scene: string;
  status: 'active' | 'archived';
  tags: { id: number; name: string }[];
}

export type WecomSyncStatus = 'running' | 'done' | 'failed';
/** The phases of a full sync, in order; `done` once the last one finished. */
export const WECOM_SYNC_PHASES = ['staff', 'tags', 'customers', 'groups', 'done'] as const;
export type WecomSyncPhase = (typeof WECOM_SYNC_PHASES)[number];

export interface WecomSyncRun {
  id: number;
  status: WecomSyncStatus;
  phase: WecomSyncPhase;
  /** departments, staff, staffCreated, tagGroups, tags, followUsers, follows, customersCreated, followsEnded, groups */
  counts: Record<string, number>;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface WecomStatus {
  connected: boolean;
  wecomCorpId: string | null;
  /** Linked to the bundled WeCom simulator rather than the real WeCom. */
  simulated: boolean;
  /** Callback events by status: pending, done, parked. */
  inbox: Record<string, number>;
  /** Calls to WeCom by status: pending, done, failed, expired. */
  outbox: Record<string, number>;
  /** The latest full sync, or null when none ever ran. */
  sync: WecomSyncRun | null;
  /** A full sync is running in the server right now. */
  syncRunning: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface StaffQuery {
  unitId?: number;
  q?: string;
  cursor?: string;
  limit?: number;
}

export interface CustomerQuery {
  q?: string;
  stage?: LifecycleStage;
  unitId?: number;
  tagId?: number;
  staffId?: number;
  cursor?: string;
  limit?: number;
}

/** An error answered by the server (or a network failure, status 0), with its message already localised. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';

export const MATERIAL_KINDS = ['poster', 'table_card', 'rollup'] as const;
export type MaterialKind = (typeof MATERIAL_KINDS)[number];
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken: string | null = null;
let acceptLanguage = 'zh-CN';
let onUnauthorized: (() => void) | null = null;

export function setApiLanguage(lang: 'zh' | 'en') {
  acceptLanguage = lang === 'en' ? 'en' : 'zh-CN';
}

/** Called on a 401 from any call except login and the session probe: the console goes to /login. */
export function setUnauthorizedHandler(handler: (() => void) | null) {
  onUnauthorized = handler;
}

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Query;
  /** A 401 is expected here (login, session probe): do not treat it as an expired session. */
  quiet401?: boolean;
  signal?: AbortSignal;
}

async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': acceptLanguage };
  // a file (Blob) goes as it is: the order import's upload
  const raw = opts.body instanceof Blob;
  if (opts.body !== undefined)
    headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(BASE + withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : raw ? (opts.body as Blob) : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', acceptLanguage === 'en' ? 'Cannot reach the server' : '无法连接服务器');
  }

  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const envelope = (data as { error?: { code?: string; message?: string; requestId?: string } } | null)
      ?.error;
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw new ApiError(
      res.status,
      envelope?.code ?? `http_${res.status}`,
      envelope?.message ?? `${res.status} ${res.statusText}`,
      envelope?.requestId,
    );
  }
  return data as T;
}

export const api = {
  async login(login: string, password: string): Promise<Session> {
    const session = await request<Session>('/auth/login', {
      method: 'POST',
      body: { login, password },
      quiet401: true,
    });
    csrfToken = session.csrfToken;
    return session;
  },
  async logout(): Promise<void> {
    try {
      await request<{ ok: true }>('/auth/logout', { method: 'POST', body: {}, quiet401: true });
    } finally {
      csrfToken = null;
    }
  },
  /** The current session, or null when not signed in. */
  async me(): Promise<Session | null> {
    try {
      const session = await request<Session>('/auth/me', { quiet401: true });
      csrfToken = session.csrfToken;
      return session;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  units: (signal?: AbortSignal) => request<{ items: Unit[] }>('/org/units', { signal }),
  unitCounts: (signal?: AbortSignal) => request<{ items: UnitCounts[] }>('/unit-counts', { signal }),
  staff: (query: StaffQuery, signal?: AbortSignal) =>
    request<Page<Staff>>('/staff', { query: { ...query }, signal }),
  staffById: (id: number, signal?: AbortSignal) => request<Staff>(`/staff/${id}`, { signal }),
  customers: (query: CustomerQuery, signal?: AbortSignal) =>
    request<Page<CustomerRow>>('/customers', { query: { ...query }, signal }),
  customer: (id: number, signal?: AbortSignal) => request<CustomerDetail>(`/customers/${id}`, { signal }),
  customerAcquisition: (id: number, signal?: AbortSignal) =>
    request<{ items: Acquisition[] }>(`/customers/${id}/acquisition`, { signal }),
  /** The customer's orders, newest first (cursor pages). */
  customerOrders: (id: number, cursor: string | null, signal?: AbortSignal) =>
    request<Page<CustomerOrder>>(`/customers/${id}/orders`, {
      query: { limit: 10, ...(cursor ? { cursor } : {}) },
      signal,
    }),
  customerIdentities: (id: number, signal?: AbortSignal) =>
    request<CustomerIdentities>(`/customers/${id}/identities`, { signal }),
  /** Managers only: the identity leaves the customer with its orders and members, and stays apart. */
  undoIdentityLink: (id: number, identityId: number) =>
    request<{ ordersUnlinked: number; membersUnlinked: number }>(
      `/customers/${id}/identities/${identityId}/undo`,
      { method: 'POST', body: {} },
    ),
  tags: (signal?: AbortSignal) => request<{ groups: TagGroup[] }>('/tags', { signal }),
  /** hq_admin only: the latest corp tag changes WeCom refused. */
  tagSyncFailures: (signal?: AbortSignal) =>
    request<{ items: TagSyncFailure[] }>('/tags/sync-failures', { signal }),
  createTagGroup: (input: { name: string; audience: TagAudience; tags: string[] }) =>
    request<{ id: number }>('/tag-groups', { method: 'POST', body: input }),
  updateTagGroup: (id: number, input: { name?: string; audience?: TagAudience }) =>
    request<{ ok: true }>(`/tag-groups/${id}`, { method: 'PATCH', body: input }),
  deleteTagGroup: (id: number) => request<{ ok: true }>(`/tag-groups/${id}`, { method: 'DELETE' }),
  addTags: (groupId: number, names: string[]) =>
    request<{ ids: number[] }>(`/tag-groups/${groupId}/tags`, { method: 'POST', body: { names } }),
  reorderTagGroups: (ids: number[]) =>
    request<{ ok: true }>('/tag-groups/order', { method: 'PUT', body: { ids } }),
  reorderTags: (groupId: number, ids: number[]) =>
    request<{ ok: true }>(`/tag-groups/${groupId}/tag-order`, { method: 'PUT', body: { ids } }),
  renameTag: (id: number, name: string) =>
    request<{ ok: true }>(`/tags/${id}`, { method: 'PATCH', body: { name } }),
  deleteTag: (id: number) => request<{ ok: true }>(`/tags/${id}`, { method: 'DELETE' }),
  /** Adds and removes tags on a customer (within the caller's tag view); WeCom gets them by mark_tag. */
  editCustomerTags: (customerId: number, input: { add?: number[]; remove?: number[]; staffId?: number }) =>
    request<{ added: number[]; removed: number[] }>(`/customers/${customerId}/tags`, {
      method: 'POST',
      body: input,
    }),
  /** Managers: the auto-tag rules, and the channels that tag their own adds. */
  tagRules: (signal?: AbortSignal) =>
    request<{ rules: TagRule[]; channelTags: ChannelTagsRow[]; productNames: Record<string, string> }>(
      '/tag-rules',
      { signal },
    ),
  createTagRule: (input: TagRuleInput) =>
    request<{ id: number }>('/tag-rules', { method: 'POST', body: input }),
  updateTagRule: (id: number, input: TagRuleInput) =>
    request<{ id: number }>(`/tag-rules/${id}`, { method: 'PUT', body: input }),
  deleteTagRule: (id: number) => request<{ ok: true }>(`/tag-rules/${id}`, { method: 'DELETE' }),
  lifecycleSettings: (signal?: AbortSignal) => request<LifecycleState>('/lifecycle-settings', { signal }),
  /** hq_admin only; the brand is then recomputed in the background (see `recompute`). 400 names every problem. */
  setLifecycleSettings: (settings: LifecycleSettings) =>
    request<LifecycleState>('/lifecycle-settings', { method: 'PUT', body: settings }),
  superUsers: (query: { days: number; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    request<SuperUsersPage>('/super-users', { query: { ...query }, signal }),
  /** hq_admin only (403 otherwise). */
  wecomStatus: (signal?: AbortSignal) => request<WecomStatus>('/wecom/status', { signal }),
  /** Starts (or resumes) a full sync; `started` is false when one is already running; 409 when not connected. */
  startWecomSync: () => request<{ started: boolean }>('/wecom/sync', { method: 'POST', body: {} }),
  channels: (period: Period, signal?: AbortSignal) =>
    request<{ items: ChannelRow[] }>('/channels', { query: { ...period }, signal }),
  channelMethods: (period: Period, signal?: AbortSignal) =>
    request<{ items: MethodRow[] }>('/channel-methods', { query: { ...period }, signal }),
  channel: (id: number, signal?: AbortSignal) => request<ChannelDetail>(`/channels/${id}`, { signal }),
  /** A plain link (the browser downloads it with the session cookie): the code's material as PNG. */
  materialUrl: (channelId: number, codeId: number, kind: MaterialKind) =>
    `${BASE}/channels/${channelId}/codes/${codeId}/material/${kind}`,
  createChannel: (input: ChannelInput) =>
    request<ChannelDetail>('/channels', { method: 'POST', body: input }),
  acquisitionSettings: (unitId: number, signal?: AbortSignal) =>
    request<AcquisitionSettings>(`/acquisition-settings/${unitId}`, { signal }),
  setAcquisitionSettings: (unitId: number, input: { linkage: Linkage; addsModel: AddsModel }) =>
    request<AcquisitionSettings>(`/acquisition-settings/${unitId}`, { method: 'PUT', body: input }),
  updateChannel: (id: number, input: ChannelInput) =>
    request<ChannelDetail>(`/channels/${id}`, { method: 'PUT', body: input }),
  segmentFields: (signal?: AbortSignal) => request<{ fields: SegmentField[] }>('/segment-fields', { signal }),
  /** The exact audience of a rule and a few of its members; 400 naming the bad node's path when invalid. */
  previewSegment: (rule: Rule, signal?: AbortSignal) =>
    request<SegmentPreview>('/segments/preview', { method: 'POST', body: { rule }, signal }),
  segments: (signal?: AbortSignal) => request<{ items: Segment[] }>('/segments', { signal }),
  segment: (id: number, signal?: AbortSignal) => request<Segment>(`/segments/${id}`, { signal }),
  createSegment: (input: SegmentInput) => request<Segment>('/segments', { method: 'POST', body: input }),
  updateSegment: (id: number, input: SegmentInput) =>
    request<Segment>(`/segments/${id}`, { method: 'PUT', body: input }),
  deleteSegment: (id: number) => request<unknown>(`/segments/${id}`, { method: 'DELETE' }),
  /** `days`: the GMV window (the server's default is 365). */
  layerings: (days: number, signal?: AbortSignal) =>
    request<{ items: Layering[] }>('/layerings', { query: { days }, signal }),
  layering: (id: number, days: number, signal?: AbortSignal) =>
    request<Layering>(`/layerings/${id}`, { query: { days }, signal }),
  createLayering: (input: LayeringInput, days: number) =>
    request<Layering>('/layerings', { method: 'POST', body: input, query: { days } }),
  updateLayering: (id: number, input: LayeringInput, days: number) =>
    request<Layering>(`/layerings/${id}`, { method: 'PUT', body: input, query: { days } }),
  deleteLayering: (id: number) => request<unknown>(`/layerings/${id}`, { method: 'DELETE' }),
};

export type ChannelMethod =
  | 'package_card'
  | 'sms'
  | 'ai_call'
  | 'rollup_banner'
  | 'table_card'
  | 'poster'
  | 'wangwang'
  | 'livestream'
  | 'mini_program'
  | 'other';

/** The funnel over a period: landing-page scans → adds → still friends 7 days on → follows ended. */
export interface ChannelFunnel {
  scans: number;
  adds: number;
  /** Adds at least 7 days old: the base of the 7-day retention. */
  adds7dOld: number;
  retained7d: number;
  deleted: number;
}

export interface ChannelRow extends ChannelFunnel {
  id: number;
  name: string;
  scene: string;
  method: ChannelMethod;
  scalable: boolean;
  bait: string;
  unitId: number;
  unitName: string;
  assignMode: 'single' | 'pool' | 'store';
  status: 'active' | 'archived';
}

export interface MethodRow extends ChannelFunnel {
  method: ChannelMethod;
  channels: number;
  scalable: boolean;
  retention7d: number | null;
}

export interface ChannelCode {
  id: number;
  unitId: number;
  unitName: string;
  state: string;
  configId: string | null;
  qrCode: string | null;
  currentUserids: string[];
  currentStaffNames: string[];
  scans: number;
  sync: 'pending' | 'ready' | 'failed';
  syncError: string | null;
}

export interface WelcomeTemplate {
  text?: string;
  link?: { title: string; url: string; desc?: string };
  miniprogram?: { title: string; appid: string; page: string };
  imageUrl?: string;
}

/** What the editor sends (POST /channels, PUT /channels/:id). */
export interface ChannelInput {
  name: string;
  scene: string;
  method: ChannelMethod;
  bait: string;
  unitId: number;
  assignMode: 'single' | 'pool' | 'store';
  poolStrategy: 'round_robin' | 'least_loaded';
  dailyCap: number | null;
  workingHours: { days: number[]; start: string; end: string } | null;
  skipVerify: boolean;
  remarkTemplate: string;
  welcome: WelcomeTemplate;
  staff: { staffId: number; backup: boolean }[];
  tagIds: number[];
}

export interface ChannelDetail extends Omit<ChannelInput, 'staff' | 'tagIds'> {
  id: number;
  codes: ChannelCode[];
  staff: { staffId: number; name: string; userid: string; backup: boolean }[];
  tags: { id: number; name: string }[];
}

export type Linkage = 'friend_only' | 'group_only' | 'friend_then_group' | 'group_then_friend';
export type AddsModel = 'central' | 'journey';

export interface AcquisitionSettings {
  unitId: number;
  own: { linkage: Linkage; addsModel: AddsModel } | null;
  effective: Linkage;
  effectiveAddsModel: AddsModel;
  recommended: Linkage;
  businessType: string | null;
}

export interface Period {
  from?: string;
  to?: string;
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

// ---- Customer facts: lifecycle, RFM, super users ----

export const LIFECYCLE_STAGES = ['new', 'active', 'repeat', 'super', 'dormant', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** A birthday or membership anniversary, its next date (brand time) and how far away. */
export type KeyDate =
  | { kind: 'birthday'; date: string; inDays: number }
  | { kind: 'member_anniversary'; date: string; inDays: number; years: number };

export interface Rfm {
  r: number;
  f: number;
  m: number;
}

export interface FactsCard {
  stage: LifecycleStage;
  /** null without orders */
  rfm: Rfm | null;
  paidFen: number;
  orderCount: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  topUnit: { id: number; name: string } | null;
  couponOrders: number;
  /** price sensitivity: share of orders with a coupon, 0–1 */
  couponShare: number | null;
  memberLevel: string | null;
  memberSince: string | null;
  birthday: string | null;
  keyDates: KeyDate[];
  computedAt: string;
}

type Four = [number, number, number, number];

/** A brand's RFM cut points (ascending) and lifecycle rules. */
export interface LifecycleSettings {
  recencyDays: Four;
  frequencyOrders: Four;
  monetaryFen: Four;
  repeatOrders: number;
  superMin: Rfm;
  dormantDays: number;
  churnedDays: number;
}

export interface LifecycleState {
  settings: LifecycleSettings;
  defaults: LifecycleSettings;
  updatedAt: string | null;
  updatedBy: string | null;
  recompute: {
    status: 'pending' | 'running' | 'done' | 'never';
    done: number;
    total: number;
    startedAt: string | null;
    finishedAt: string | null;
  };
}

export interface SuperUser {
  id: number;
  name: string;
  avatar: string | null;
  rfm: Rfm;
  paidFen: number;
  orderCount: number;
  lastOrderAt: string | null;
  topUnit: { id: number; name: string } | null;
  memberLevel: string | null;
  memberSince: string | null;
  birthday: string | null;
  keyDates: KeyDate[];
  /** a key date falls within the window asked for */
  upcoming: boolean;
}

export interface SuperUsersPage extends Page<SuperUser> {
  total: number;
  upcoming: number;
}

// ---- Orders and OneID (订单与身份) ----

export type OrderChannel = 'miniprogram' | 'ecommerce' | 'pos';
export type IdentityKind = 'external_userid' | 'unionid' | 'openid' | 'phone';

export interface CustomerOrder {
  id: number;
  source: string;
  sourceOrderId: string;
  channel: OrderChannel;
  store: { id: number; name: string } | null;
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  orderedAt: string;
  /** The identity that tied the order to the customer. */
  linkedBy: IdentityKind | null;
  items: { productCode: string; productName: string; quantity: number; priceFen: number }[];
}

export interface CustomerIdentities {
  identities: {
    id: number;
    kind: IdentityKind;
    /** The value; a phone only masked, and only when it is the customer's WeCom phone. */
    display: string | null;
    /** 'wecom', 'order:<source>' or 'member:<source>' */
    source: string;
    linkedAt: string;
    orders: number;
    members: number;
    undoable: boolean;
  }[];
  unlinked: {
    kind: IdentityKind;
    display: string | null;
    source: string;
    linkedAt: string;
    undoneAt: string;
    undoneBy: string | null;
  }[];
  conflicts: {
    id: number;
    kind: IdentityKind;
    display: string | null;
    source: string;
    seenAt: string;
    role: 'held_here' | 'held_by_other';
    otherCustomerId: number;
  }[];
}

/** Order import (订单导入): an .xlsx or CSV file checked row by row, then imported in the background. */
export interface ImportRowError {
  /** The row as Excel numbers it (the header is row 1). */
  row: number;
  /** The column as the file names it. */
  column: string;
  field: string;
  orderNo: string | null;
  zh: string;
  en: string;
}

export interface ImportPreviewLine {
  row: number;
  orderNo: string;
  storeCode: string | null;
  channel: 'miniprogram' | 'ecommerce' | 'pos';
  /** Brand time with its offset, e.g. 2026-06-01T12:30:00+08:00. */
  orderedAt: string;
  productCode: string;
  productName: string;
  quantity: number;
  priceFen: number;
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  identities: string[];
  duplicate: boolean;
}

export interface ImportPreview {
  fileName: string;
  source: string;
  lines: number;
  orders: number;
  valid: number;
  wouldCreate: number;
  duplicates: number;
  invalid: number;
  ignoredColumns: string[];
  sample: ImportPreviewLine[];
  errorCount: number;
  errors: ImportRowError[];
}

export interface OrderImport {
  id: number;
  fileName: string;
  source: string;
  status: 'running' | 'done' | 'failed';
  createdBy: string;
  lines: number;
  orders: number;
  processed: number;
  created: number;
  duplicates: number;
  invalid: number;
  errorCount: number;
  failure: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface OrderImportDetail extends OrderImport {
  /** The first 200 rows of the report; the whole report is errorsCsvUrl. */
  errors: ImportRowError[];
}

const importQuery = (file: File, source: string, dryRun: boolean) => ({
  fileName: file.name,
  source,
  dryRun: dryRun ? 'true' : undefined,
});

export const orderImportApi = {
  /** Checks the whole file and counts; writes nothing. */
  preview: (file: File, source: string) =>
    request<ImportPreview>('/order-imports', {
      method: 'POST',
      body: file,
      query: importQuery(file, source, true),
    }),
  /** Starts the import in the background (202). */
  start: (file: File, source: string) =>
    request<OrderImport>('/order-imports', {
      method: 'POST',
      body: file,
      query: importQuery(file, source, false),
    }),
  get: (id: number, signal?: AbortSignal) => request<OrderImportDetail>(`/order-imports/${id}`, { signal }),
  list: (signal?: AbortSignal) => request<{ items: OrderImport[] }>('/order-imports', { signal }),
  /** Plain links: the browser downloads them with the session cookie. */
  errorsCsvUrl: (id: number) => `${BASE}/order-imports/${id}/errors.csv`,
  templateUrl: `${BASE}/order-imports/template.xlsx`,
};

// ---- Segments (分群) and layers (分层) ----

/** A segment's rule tree: groups (and / or), a negation, or one condition on a field. */
export type Rule =
  | { op: 'and' | 'or'; rules: Rule[] }
  | { op: 'not'; rule: Rule }
  | { field: string; cmp: string; value?: unknown };

export type SegmentFieldGroup =
  | 'tags'
  | 'rfm'
  | 'lifecycle'
  | 'org'
  | 'channel'
  | 'orders'
  | 'groups'
  | 'price';
export type SegmentFieldType =
  | 'tag'
  | 'number'
  | 'money'
  | 'days'
  | 'enum'
  | 'unit'
  | 'staff'
  | 'channel'
  | 'method'
  | 'product'
  | 'group'
  | 'share';

/** A field a condition can test, with the comparisons it allows and, for pickers, its choices. */
export interface SegmentField {
  key: string;
  group: SegmentFieldGroup;
  label: { zh: string; en: string };
  type: SegmentFieldType;
  cmps: string[];
  /** Tags carry their tag group's name. */
  options?: { value: string | number; label: string; group?: string }[];
}

export interface SegmentMember {
  id: number;
  name: string;
  avatar: string | null;
  stage: LifecycleStage;
  ltvFen: number;
  lastOrderAt: string | null;
}

export interface SegmentPreview {
  count: number;
  sample: SegmentMember[];
}

export interface Segment {
  id: number;
  name: string;
  description: string;
  rule: Rule;
  /** The audience now, within the caller's scope. */
  count: number;
  /** The unit that owns it (the creator's). */
  unitId: number;
  unitName: string;
  createdByName: string | null;
  createdAt: string;
  updatedAt: string;
  /** The caller may change or delete it (its unit is in the caller's subtree, and not as staff). */
  editable: boolean;
}

export interface SegmentInput {
  name: string;
  description?: string;
  rule: Rule;
}

export interface LayerInput {
  segmentId: number;
  operation: string;
}

export interface LayeringInput {
  name: string;
  layers: LayerInput[];
}

export interface Layer extends LayerInput {
  segmentName: string;
  size: number;
  gmvFen: number;
  /** 0..1 of the layering's total GMV. */
  gmvShare: number;
}

export interface LayeringWarning {
  /** Two layers receive the same operation, or two audiences share customers (`overlap` of them). */
  kind: 'same_operation' | 'overlap';
  operation: string;
  segmentIds: number[];
  overlap?: number;
  message: string;
}

export interface Layering {
  id: number;
  name: string;
  unitId: number;
  unitName: string;
  editable: boolean;
  createdAt: string;
  updatedAt: string;
  /** GMV is over the paid orders of the last `days` days. */
  days: number;
  layers: Layer[];
  /** The GMV of every customer in the caller's scope: the base of each layer's share. */
  totalGmvFen: number;
  warnings: LayeringWarning[];
}

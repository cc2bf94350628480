/** The simulator's persisted state: plain JSON, one object per corp. Times are unix seconds unless named `_ms`. */

import type { DeliveredAttachment } from './media.ts';

export interface SimState {
  version: 1;
  corps: Record<string, CorpState>;
  /** access_token → owner and expiry (ms). */
  tokens: Record<string, { corpid: string; expires_at_ms: number }>;
  /** The state file: the last journaled operation it includes (persist.ts). */
  seq?: number;
}

export interface CorpLimits {
  /** Mass-send messages a customer (or group) can receive per calendar month; null = days in the month. */
  receive_cap_per_month: number | null;
  /** Calls per minute per API path for this corp (WeCom: 10,000). */
  rate_per_minute: number;
}

export interface CorpState {
  corpid: string;
  name: string;
  secret: string;
  token: string;
  encoding_aes_key: string;
  agentid: number;
  callback_url: string | null;
  limits: CorpLimits;
  created_at: number;
  departments: Department[];
  members: Record<string, Member>;
  customers: Record<string, Customer>;
  /** external_userid → its follows (one per member). */
  follows: Record<string, Follow[]>;
  tag_groups: TagGroup[];
  contact_ways: Record<string, ContactWay>;
  groups: Record<string, Group>;
  join_ways: Record<string, JoinWay>;
  welcome_codes: Record<string, WelcomeCode>;
  welcomes: WelcomeReceived[];
  mass_sends: Record<string, MassSend>;
  /** `<external_userid|chat_id>|<YYYY-MM>` → mass-send messages received that month. */
  mass_received: Record<string, number>;
  transfers: Transfer[];
  /** groupchat/transfer and onjob_transfer accepted (their daily and 90-day limits); absent in older states. */
  group_transfers?: { chat_id: string; new_owner: string; kind: 'onjob' | 'resigned'; time: number }[];
  /** Members who left a group (when they had joined and when they left): groupchat/statistic counts them. */
  group_leaves?: { chat_id: string; userid: string; join_time: number; time: number }[];
  messages: Message[];
  /** The session archive's last seq (each message gets the next one); absent in states saved before it. */
  archive_seq?: number;
  /** message/send: what the app sent to members (app-messages.ts); absent in states saved before it. */
  app_messages?: AppMessage[];
  /** message/send person-times per China day (only today's key is kept). */
  app_messages_daily?: Record<string, number>;
  /** The sidebar's web OAuth codes, JS-SDK tickets and their fetches (sidebar.ts); absent in older states. */
  sidebar?: SidebarState;
}

/** What the sidebar (聊天工具栏) needs of WeCom: OAuth codes, JS-SDK tickets, the ticket fetches of the hour. */
export interface SidebarState {
  /** code → the member it signs in; single use, 300 s. */
  codes: Record<string, { userid: string; expires_at_ms: number; used: boolean }>;
  tickets: Partial<Record<'jsapi' | 'agent_config', { ticket: string; expires_at_ms: number }>>;
  /** When each ticket was fetched within the last hour (ms), per kind: the hourly limits count them. */
  fetches: Partial<Record<'jsapi' | 'agent_config', number[]>>;
}

export interface Department {
  id: number;
  name: string;
  name_en: string;
  parentid: number;
  order: number;
  department_leader: string[];
}

/** status: 1 active, 2 disabled, 4 not activated, 5 exited. */
export interface Member {
  userid: string;
  name: string;
  department: number[];
  main_department: number;
  position: string;
  mobile: string;
  gender: '0' | '1' | '2';
  email: string;
  alias: string;
  avatar: string;
  status: 1 | 2 | 4 | 5;
  /** Set when the member was deleted (resigned): the member disappears from the directory, follows wait for transfer. */
  resigned_at: number | null;
}

export interface Customer {
  external_userid: string;
  name: string;
  /** 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2;
  unionid: string;
  avatar: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: 1 | 2;
  corp_name: string;
  position: string;
  created_at: number;
}

export interface Follow {
  userid: string;
  external_userid: string;
  remark: string;
  description: string;
  createtime: number;
  tag_ids: string[];
  remark_corp_name: string;
  remark_mobiles: string[];
  oper_userid: string;
  add_way: number;
  state: string;
}

export type Creator = 'api' | 'console';

export interface Tag {
  id: string;
  name: string;
  create_time: number;
  order: number;
  created_by: Creator;
}

export interface TagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  created_by: Creator;
  tags: Tag[];
}

export interface ContactWay {
  config_id: string;
  type: 1 | 2;
  scene: 1 | 2;
  style: number | null;
  remark: string;
  skip_verify: boolean;
  state: string;
  user: string[];
  party: number[];
  is_temp: boolean;
  expires_in: number | null;
  chat_expires_in: number | null;
  unionid: string;
  conclusions: unknown;
  qr_code: string;
  create_time: number;
  /** Round-robin cursor for type 2. */
  next_index: number;
}

export interface GroupMember {
  userid: string;
  /** 1 corp member, 2 external contact. */
  type: 1 | 2;
  join_time: number;
  /** API values: 1 direct invite, 2 invite link, 3 group QR. */
  join_scene: 1 | 2 | 3;
  invitor: string | null;
  group_nickname: string;
  state: string;
}

export interface Group {
  chat_id: string;
  name: string;
  owner: string;
  create_time: number;
  notice: string;
  members: GroupMember[];
  admin_list: string[];
  member_version: string;
  /** groupchat/list status: 0 normal, 1 owner resigned (待继承), 2 transferring, 3 transferred. */
  status: 0 | 1 | 2 | 3;
  dismissed: boolean;
  /** When it was dismissed (absent in older states: counted as dismissed from the start). */
  dismissed_at?: number;
}

export interface JoinWay {
  config_id: string;
  scene: 1 | 2;
  remark: string;
  auto_create_room: 0 | 1;
  room_base_name: string;
  room_base_id: number;
  /** Rooms auto-created so far: the next one is named room_base_name + (room_base_id + rooms_created). */
  rooms_created: number;
  chat_id_list: string[];
  state: string;
  mark_source: boolean;
  qr_code: string;
  create_time: number;
}

export interface WelcomeCode {
  code: string;
  userid: string;
  external_userid: string;
  issued_at_ms: number;
  used_at_ms: number | null;
}

export interface WelcomeReceived {
  external_userid: string;
  userid: string;
  welcome_code: string;
  text: string | null;
  attachments: unknown[];
  at: number;
}

export interface MassTarget {
  external_userid?: string;
  chat_id?: string;
  /** 0 unsent, 1 sent, 2 not a friend (or group gone), 3 over the receive cap. */
  status: 0 | 1 | 2 | 3;
  send_time: number;
}

export interface MassTask {
  userid: string;
  /** 0 unsent, 2 sent. */
  status: 0 | 2;
  send_time: number;
  targets: MassTarget[];
  /** The member chose not to send it (a control call, or the population runner): it stays unsent. */
  ignored?: boolean;
}

export interface MassSend {
  msgid: string;
  chat_type: 'single' | 'group';
  creator: string;
  /** 0 created by the corp (API), 1 by a member. */
  create_type: 0 | 1;
  create_time: number;
  allow_select: boolean;
  text: { content: string } | null;
  attachments: unknown[];
  tasks: MassTask[];
  /** Unix seconds of each remind_groupmsg_send that notified the members. */
  reminds?: number[];
  /** Reminds beyond WeCom's 3 per 24 h: answered ok (no errcode is documented), nobody notified. */
  reminds_over_limit?: number[];
  /** Set by cancel_groupmsg_send: the unsent tasks can no longer be sent. */
  cancelled_at?: number;
}

export interface Transfer {
  kind: 'onjob' | 'resigned';
  handover_userid: string;
  takeover_userid: string;
  external_userid: string;
  /** 1 done, 2 waiting, 3 refused by the customer, 4 over the limit. */
  status: 1 | 2 | 3 | 4;
  start_time: number;
  takeover_time: number;
  transfer_success_msg: string;
}

export interface Message {
  /** in: customer → member; out: member → customer (welcome, mass send). */
  direction: 'in' | 'out';
  kind: 'chat' | 'welcome' | 'mass';
  /** The customer; for a message in a customer group, '' (the group is `chat_id`). */
  external_userid: string;
  /** A message sent in a customer group (the sidebar's sendChatMessage in group_chat_tools). */
  chat_id?: string;
  /** In a group: who spoke (a member's userid or a customer's external_userid). */
  speaker?: string;
  userid: string;
  msgtype: string;
  content: string;
  /** A mass send's attachments as the customer received them (media ids and the files behind them). */
  attachments?: DeliveredAttachment[];
  at: number;
  /** Its seq in the session archive (archive.ts); absent on messages recorded before the archive existed. */
  seq?: number;
}

/** An app message (message/send) as its members received it. */
export interface AppMessage {
  msgid: string;
  agentid: number;
  msgtype: 'text' | 'textcard' | 'markdown';
  /** The msgtype's object as delivered (text truncated to WeCom's limits). */
  content: Record<string, string>;
  /** The members it reached (userids as the directory spells them). */
  touser: string[];
  at: number;
  /** What enable_duplicate_check compares. */
  dedup_key: string;
}

export function emptyState(): SimState {
  return { version: 1, corps: {}, tokens: {} };
}

export function newCorp(input: {
  corpid: string;
  name: string;
  secret: string;
  token: string;
  encoding_aes_key: string;
  agentid: number;
  callback_url: string | null;
  limits: CorpLimits;
  created_at: number;
}): CorpState {
  return {
    ...input,
    departments: [
      { id: 1, name: input.name, name_en: '', parentid: 0, order: 100000000, department_leader: [] },
    ],
    members: {},
    customers: {},
    follows: {},
    tag_groups: [],
    contact_ways: {},
    groups: {},
    join_ways: {},
    welcome_codes: {},
    welcomes: [],
    mass_sends: {},
    mass_received: {},
    transfers: [],
    messages: [],
    app_messages: [],
  };
}

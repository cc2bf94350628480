import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp, Timestamp } from '../../platform/db/column-types.ts';

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

export interface WorkingHours {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** HH:MM, brand time (Asia/Shanghai). */
  start: string;
  end: string;
}

export interface WelcomeTemplate {
  text?: string;
  link?: { title: string; url: string; desc?: string; picurl?: string };
  miniprogram?: { title: string; appid: string; page: string; pic_media_id?: string };
  imageUrl?: string;
}

export interface ChannelsTable {
  corp_id: string;
  id: Generated<number>;
  name: string;
  scene: string;
  method: ChannelMethod;
  bait: Generated<string>;
  unit_id: number;
  assign_mode: 'single' | 'pool' | 'store';
  pool_strategy: Generated<'round_robin' | 'least_loaded'>;
  daily_cap: number | null;
  working_hours: ColumnType<WorkingHours | null, string | null, string | null>;
  skip_verify: Generated<boolean>;
  remark_template: Generated<string>;
  welcome: ColumnType<WelcomeTemplate, string | undefined, string>;
  status: Generated<'active' | 'archived'>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ChannelStaffTable {
  corp_id: string;
  channel_id: number;
  staff_id: number;
  backup: Generated<boolean>;
  position: Generated<number>;
}

export interface ChannelTagsTable {
  corp_id: string;
  channel_id: number;
  tag_id: number;
}

export interface ChannelCodesTable {
  corp_id: string;
  id: Generated<number>;
  channel_id: number;
  unit_id: number;
  state: string;
  config_id: string | null;
  qr_code: string | null;
  /** The members the way lists now (one for single and least-loaded routing, the eligible pool otherwise). */
  current_users: ColumnType<string[], string[] | undefined, string[]>;
  scans: Generated<number>;
  created_at: DefaultTimestamp;
}

export interface ChannelAddsTable {
  corp_id: string;
  id: Generated<number>;
  code_id: number;
  channel_id: number;
  customer_id: number;
  staff_id: number;
  added_at: Timestamp;
  welcome_key: string | null;
  /** Recovered by a full sync after the welcome window: no welcome was sent (migration 0003). */
  welcome_missed: Generated<boolean>;
  sync_run: ColumnType<number | null, number | null | undefined, number | null>;
}

/** One visitor's first look at a code's landing page in a brand day. */
export interface ChannelScansTable {
  corp_id: string;
  code_id: number;
  /** the start of the brand day (UTC+8) */
  day: Timestamp;
  /** a keyed hash: of the landing page's cookie, or of the address and browser while there is none */
  visitor: string;
  scanned_at: Timestamp;
}

export type Linkage = 'friend_only' | 'group_only' | 'friend_then_group' | 'group_then_friend';

export interface AcquisitionSettingsTable {
  corp_id: string;
  unit_id: number;
  linkage: Linkage;
  adds_model: Generated<'central' | 'journey'>;
  updated_at: DefaultTimestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface ChannelsTables {
  channels: ChannelsTable;
  channel_staff: ChannelStaffTable;
  channel_tags: ChannelTagsTable;
  channel_codes: ChannelCodesTable;
  channel_adds: ChannelAddsTable;
  channel_scans: ChannelScansTable;
  acquisition_settings: AcquisitionSettingsTable;
}

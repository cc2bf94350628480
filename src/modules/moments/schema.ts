import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export const AXES = ['product', 'persona', 'story'] as const;
export type Axis = (typeof AXES)[number];
export const CONTENT_KINDS = ['text', 'images', 'video', 'link'] as const;
export type MomentContentKind = (typeof CONTENT_KINDS)[number];
export const POST_STATUSES = [
  'planned',
  'publishing',
  'submitted',
  'published',
  'failed',
  'cancelled',
] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
export const MEMBER_STATUSES = ['pending', 'published', 'invalid'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

type NullableLater<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface MomentMediaTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  kind: 'image' | 'video';
  file_name: string;
  content_type: 'image/jpeg' | 'image/png' | 'video/mp4';
  bytes: Uint8Array;
  size: number;
  wecom_media_id: NullableLater<string>;
  wecom_expires_at: NullableLater<Date>;
  created_by: number | null;
  created_at: Timestamp;
}

export interface MomentPostsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  axis: Axis;
  title: string;
  body: Generated<string>;
  content_kind: MomentContentKind;
  media_ids: ColumnType<number[], number[] | undefined, number[]>;
  link_title: string | null;
  link_url: string | null;
  sender_staff_ids: ColumnType<number[], number[], number[]>;
  tag_ids: ColumnType<number[], number[] | undefined, number[]>;
  planned_at: Timestamp;
  status: Generated<PostStatus>;
  failure: NullableLater<string>;
  /** Why its time moved or its publishing waits (WeCom's 10 a minute). */
  schedule_note: NullableLater<string>;
  jobid: NullableLater<string>;
  moment_id: NullableLater<string>;
  submitted_at: NullableLater<Date>;
  published_at: NullableLater<Date>;
  followed_at: NullableLater<Date>;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MomentPostMembersTable {
  corp_id: string;
  post_id: number;
  userid: string;
  staff_id: number | null;
  status: MemberStatus;
  visible_count: Generated<number>;
  likes: Generated<number>;
  comments: Generated<number>;
  polled_at: NullableLater<Date>;
}

/** The tables this module owns, as Kysely sees them. */
export interface MomentsTables {
  moment_media: MomentMediaTable;
  moment_posts: MomentPostsTable;
  moment_post_members: MomentPostMembersTable;
}

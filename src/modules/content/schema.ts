import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export interface ContentItemsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  key: string | null;
  kind: 'coupon' | 'product' | 'trust' | 'persona' | 'event';
  script: Generated<boolean>;
  title: string;
  text: Generated<string>;
  /** attachments in Siyu's shape (rules.ts); written as JSON text */
  attachments: ColumnType<unknown, string, string>;
  personas: ColumnType<string[], string[] | undefined, string[]>;
  stages: ColumnType<string[], string[] | undefined, string[]>;
  products: ColumnType<string[], string[] | undefined, string[]>;
  scenes: ColumnType<string[], string[] | undefined, string[]>;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContentUsesTable {
  corp_id: string;
  id: Generated<number>;
  content_id: number;
  customer_id: number;
  touch_id: string | null;
  used_at: Timestamp;
}

export interface ContentMediaTable {
  corp_id: string;
  media_type: 'image' | 'video' | 'file';
  source: string;
  media_id: string;
  uploaded_at: Timestamp;
  expires_at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface ContentTables {
  content_items: ContentItemsTable;
  content_uses: ContentUsesTable;
  content_media: ContentMediaTable;
}

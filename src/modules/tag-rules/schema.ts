import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp, Timestamp } from '../../platform/db/column-types.ts';

export type TagRuleKind = 'order_product' | 'order_amount' | 'order_coupon' | 'keyword' | 'channel';

export interface TagRulesTable {
  corp_id: string;
  id: Generated<number>;
  name: string;
  kind: TagRuleKind;
  condition: ColumnType<Record<string, unknown>, string, string>;
  enabled: Generated<boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface TagRuleTagsTable {
  corp_id: string;
  rule_id: number;
  tag_id: number;
}

export interface TagRuleHitsTable {
  corp_id: string;
  rule_id: number;
  customer_id: number;
  trigger: string;
  tags_added: number;
  at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface TagRulesTables {
  tag_rules: TagRulesTable;
  tag_rule_tags: TagRuleTagsTable;
  tag_rule_hits: TagRuleHitsTable;
}

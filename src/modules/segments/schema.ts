import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export interface SegmentsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  description: Generated<string>;
  /** a rule tree (segments/rule.ts); written as JSON text */
  rule: ColumnType<unknown, string, string>;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LayeringsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LayeringLayersTable {
  corp_id: string;
  layering_id: number;
  position: number;
  segment_id: number;
  operation: string;
}

/** The tables this module owns, as Kysely sees them. */
export interface SegmentsTables {
  segments: SegmentsTable;
  layerings: LayeringsTable;
  layering_layers: LayeringLayersTable;
}

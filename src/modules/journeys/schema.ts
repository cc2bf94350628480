import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/db/column-types.ts';

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';
export type EnrolmentStatus = 'active' | 'done' | 'exited';

export interface JourneysTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  status: ColumnType<JourneyStatus, JourneyStatus | undefined, JourneyStatus>;
  current_version: ColumnType<number, number | undefined, number>;
  trigger_kind: string;
  template: string | null;
  next_scan_at: Timestamp | null;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface JourneyVersionsTable {
  corp_id: string;
  journey_id: number;
  version: number;
  /** the graph (journeys/graph.ts), written as JSON text */
  graph: Json;
  created_by: number | null;
  created_at: Timestamp;
}

export interface JourneyEnrolmentsTable {
  corp_id: string;
  id: Generated<number>;
  journey_id: number;
  version: number;
  customer_id: number;
  occurrence: Generated<string>;
  node: string;
  status: ColumnType<EnrolmentStatus, EnrolmentStatus | undefined, EnrolmentStatus>;
  due_at: Timestamp;
  lease_until: Timestamp | null;
  steps: Generated<number>;
  deferrals: Generated<number>;
  exit_reason: string | null;
  failures: Generated<number>;
  last_error: string | null;
  entered_at: Timestamp;
  updated_at: Timestamp;
}

export interface JourneyStepsTable {
  corp_id: string;
  enrolment_id: number;
  seq: number;
  journey_id: number;
  version: number;
  node: string;
  kind: string;
  outcome: Json;
  due_at: Timestamp;
  done_at: Timestamp;
}

export interface JourneysTables {
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_enrolments: JourneyEnrolmentsTable;
  journey_steps: JourneyStepsTable;
}

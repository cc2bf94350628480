import type { Generated } from 'kysely';

/** A brand day or month (UTC+8) as PostgreSQL's `date`; read it as text (`::text`). */
type Day = string;

interface Key {
  corp_id: string;
  staff_id: number;
  unit_id: number;
  channel_id: number;
  method: string;
}

export interface InsightDirtyTable {
  corp_id: string;
  customer_id: number;
}

export interface InsightFollowsTable extends Key {
  follow_id: number;
  customer_id: number;
  added_day: Day;
  ended_day: Day | null;
  ended_by: 'customer' | 'staff' | null;
  welcomed: boolean;
}

export interface InsightCustomersTable extends Key {
  customer_id: number;
  acquired_day: Day;
  lost_day: Day | null;
  retained_7d: boolean;
  in_group: boolean;
  first_order_day: Day | null;
  order_count: number;
  stage: string;
}

export interface InsightBuyerMonthsTable {
  corp_id: string;
  customer_id: number;
  month: Day;
  orders: number;
  paid_fen: number;
}

export interface InsightDailyTable extends Key {
  day: Day;
  adds: number;
  deletions: number;
  staff_deletions: number;
  welcomed: number;
  new_customers: number;
  lost_customers: number;
  first_buyers: number;
}

export interface InsightMonthlyTable extends Key {
  month: Day;
  acq_month: Day;
  buyers: number;
  repeat_buyers: number;
  orders: number;
  paid_fen: number;
}

export interface InsightCohortsTable extends Key {
  acq_month: Day;
  lost_month: Day;
  customers: number;
  retained_7d: number;
  in_group: number;
  buyers: number;
  repeat_buyers: number;
}

export interface InsightStagesTable extends Key {
  stage: string;
  customers: number;
}

export interface InsightActiveTable extends Key {
  follows: number;
}

/** The rollups with fewer key columns: per unit; per unit and member; per unit and channel (and method). */
type UnitRow<T> = Omit<T, 'staff_id' | 'channel_id' | 'method'>;
type StaffRow<T> = Omit<T, 'channel_id' | 'method'>;
type ChannelRow<T> = Omit<T, 'staff_id'>;
type BrandChannelRow<T> = Omit<T, 'staff_id' | 'unit_id'>;

export interface InsightSpendTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  target_kind: 'channel' | 'method' | 'campaign' | 'journey';
  target_key: string;
  month: Day;
  amount_fen: number;
  note: Generated<string>;
  created_by: number | null;
  created_at: Date;
}

export interface InsightPilotsTable {
  corp_id: string;
  id: Generated<number>;
  name: string;
  kind: 'journey' | 'linkage' | 'channel' | 'policy';
  note: Generated<string>;
  starts_on: Day;
  ends_on: Day | null;
  created_by: number | null;
  created_at: Date;
}

export interface InsightPilotUnitsTable {
  corp_id: string;
  pilot_id: number;
  unit_id: number;
}

/** The tables this module owns, as Kysely sees them. */
export interface InsightTables {
  insight_dirty: InsightDirtyTable;
  insight_follows: InsightFollowsTable;
  insight_customers: InsightCustomersTable;
  insight_buyer_months: InsightBuyerMonthsTable;
  insight_daily: InsightDailyTable;
  insight_monthly: InsightMonthlyTable;
  insight_cohorts: InsightCohortsTable;
  insight_stages: InsightStagesTable;
  insight_active: InsightActiveTable;
  insight_unit_daily: UnitRow<InsightDailyTable>;
  insight_unit_monthly: UnitRow<InsightMonthlyTable>;
  insight_unit_cohorts: UnitRow<InsightCohortsTable>;
  insight_unit_stages: UnitRow<InsightStagesTable>;
  insight_unit_active: UnitRow<InsightActiveTable>;
  insight_staff_daily: StaffRow<InsightDailyTable>;
  insight_staff_monthly: StaffRow<InsightMonthlyTable>;
  insight_staff_cohorts: StaffRow<InsightCohortsTable>;
  insight_staff_stages: StaffRow<InsightStagesTable>;
  insight_staff_active: StaffRow<InsightActiveTable>;
  insight_channel_daily: ChannelRow<InsightDailyTable>;
  insight_channel_monthly: ChannelRow<InsightMonthlyTable>;
  insight_channel_cohorts: ChannelRow<InsightCohortsTable>;
  insight_channel_stages: ChannelRow<InsightStagesTable>;
  insight_channel_active: ChannelRow<InsightActiveTable>;
  insight_brand_channel_daily: BrandChannelRow<InsightDailyTable>;
  insight_brand_channel_monthly: BrandChannelRow<InsightMonthlyTable>;
  insight_brand_channel_cohorts: BrandChannelRow<InsightCohortsTable>;
  insight_brand_channel_stages: BrandChannelRow<InsightStagesTable>;
  insight_brand_channel_active: BrandChannelRow<InsightActiveTable>;
  insight_spend: InsightSpendTable;
  insight_pilots: InsightPilotsTable;
  insight_pilot_units: InsightPilotUnitsTable;
}

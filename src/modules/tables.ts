import type { PlatformTables } from '../platform/tables.ts';
import type { AccountsTables } from './accounts/schema.ts';
import type { AuditTables } from './audit/schema.ts';
import type { ChannelsTables } from './channels/schema.ts';
import type { ConnectorTables } from './connector/schema.ts';
import type { ContentTables } from './content/schema.ts';
import type { CustomersTables } from './customers/schema.ts';
import type { GroupsTables } from './groups/schema.ts';
import type { InsightTables } from './insight/schema.ts';
import type { JourneysTables } from './journeys/schema.ts';
import type { MomentsTables } from './moments/schema.ts';
import type { OrdersTables } from './orders/schema.ts';
import type { OrgTables } from './org/schema.ts';
import type { OutreachTables } from './outreach/schema.ts';
import type { SegmentsTables } from './segments/schema.ts';
import type { SidebarTables } from './sidebar/schema.ts';
import type { StaffTables } from './staff/schema.ts';
import type { TagRulesTables } from './tag-rules/schema.ts';
import type { TagsTables } from './tags/schema.ts';
import type { TasksTables } from './tasks/schema.ts';
import type { TransfersTables } from './transfers/schema.ts';

/**
 * Kysely's view of the whole schema: the platform's tables and each module's (declared in its schema.ts).
 * Queries may read any table; a module writes only its own (module-boundaries.test.ts).
 */
export interface Tables
  extends PlatformTables,
    AuditTables,
    OrgTables,
    StaffTables,
    AccountsTables,
    TagsTables,
    CustomersTables,
    GroupsTables,
    ChannelsTables,
    OrdersTables,
    TagRulesTables,
    SegmentsTables,
    ConnectorTables,
    ContentTables,
    OutreachTables,
    JourneysTables,
    TasksTables,
    InsightTables,
    SidebarTables,
    TransfersTables,
    MomentsTables {}

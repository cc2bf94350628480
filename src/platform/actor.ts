/** Who is calling, and what part of the org tree they may see. Built once per request from the session. */
export const ROLES = ['hq_admin', 'region_manager', 'store_manager', 'staff'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  corpId: string;
  accountId: number;
  role: Role;
  /** The account's own unit: the root of its scope. */
  unitId: number;
  /** The account sits at the root of the org tree with the HQ role: no narrowing at all. */
  seesWholeCorp: boolean;
  /** Every unit in the account's subtree, its own included. */
  unitIds: readonly number[];
  /** Set for front-line accounts: they see only the customers they follow. */
  staffId: number | null;
}

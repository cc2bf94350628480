export type { OrgUnitsTable } from './schema.ts';
export { assertUnitInScope, isRootUnit, listUnits, subtreeUnitIds, type UnitRow } from './service.ts';
export { syncDepartments, type WecomDepartment } from './sync.ts';

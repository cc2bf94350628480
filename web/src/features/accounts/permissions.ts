/**
 * The roles that may create channels, segments, layerings and tasks: their POST routes' `config.access`
 * (src/modules/authz.test.ts holds this list to them; no imports, so the server's tests can read it).
 * Whether the caller may change one that exists is the server's answer for that row (`editable`), never
 * guessed here.
 */
export const MANAGER_ROLES: readonly string[] = ['hq_admin', 'region_manager', 'store_manager'];

export const mayCreate = (me: { role: string }): boolean => MANAGER_ROLES.includes(me.role);

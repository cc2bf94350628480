import type { ColumnType } from 'kysely';

/** A timestamptz column: read as a Date, written as a Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** The same with a database default, so an insert may leave it out. */
export type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column written as a JSON string (Kysely passes parameters through pg). */
export type Json<T = unknown> = ColumnType<T, string, string>;

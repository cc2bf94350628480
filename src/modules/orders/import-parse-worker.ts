import { readGrid } from './import-file.ts';
import {
  type ColumnKey,
  headerNames,
  ingestError,
  MAX_LINES,
  type ParsedOrder,
  parseOrders,
  type RowError,
} from './import-rows.ts';
import { fieldErrors, orderInputAt } from './order-input.ts';

/**
 * Runs in a worker thread (import-parse.ts): an order file read, its rows parsed into orders, and each
 * order checked against what ingestOrders will demand. What needs the database (stores, scope) is checked
 * afterwards, on the main thread.
 */

/** An order of the file, with the problems ingestOrders would find (none: valid). */
export interface FileOrder {
  order: ParsedOrder;
  problems: RowError[];
}

export interface FileChunk {
  orders?: FileOrder[];
  errors?: RowError[];
}

export interface FileSummary {
  lines: number;
  orderCount: number;
  /** Orders the rows alone rule out (their problems are in the errors). */
  invalidOrders: number;
  ignoredColumns: string[];
  columns: Record<ColumnKey, string>;
}

const CHUNK = 2000;

export default async function parseOrderFile(
  input: { bytes: Uint8Array; now: number },
  emit: (chunk: FileChunk) => void,
): Promise<FileSummary> {
  const grid = await readGrid(input.bytes, { maxRows: MAX_LINES + 1 });
  const parsed = parseOrders(grid, new Date(input.now));
  const columns = headerNames(grid);
  grid.rows.length = 0;
  const schema = orderInputAt(new Date(input.now));
  for (let i = 0; i < parsed.errors.length; i += CHUNK) emit({ errors: parsed.errors.slice(i, i + CHUNK) });
  for (let i = 0; i < parsed.orders.length; i += CHUNK) {
    emit({
      orders: parsed.orders.slice(i, i + CHUNK).map((order) => {
        const check = schema.safeParse(order.input);
        return {
          order,
          problems: check.success ? [] : fieldErrors(check.error).map((e) => ingestError(order, e, columns)),
        };
      }),
    });
  }
  return {
    lines: parsed.lines,
    orderCount: parsed.orderCount,
    invalidOrders: parsed.invalidOrders,
    ignoredColumns: parsed.ignoredColumns,
    columns,
  };
}

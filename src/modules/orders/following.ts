import type { CorpDb } from '../../platform/db/corp-db.ts';
import type { Tables } from '../tables.ts';

/**
 * The orders linked to a customer, as a subquery other modules join to ask "what did this customer buy
 * after X" (the content library's orders that followed a use, attribution): id, customer, time, paid fen.
 * Reads through here keep other modules off the orders table's columns.
 */
export function customerOrders(cdb: CorpDb<Tables>) {
  return cdb.db
    .selectFrom('orders as lo')
    .select(['lo.id', 'lo.customer_id', 'lo.ordered_at', 'lo.paid_fen'])
    .where('lo.corp_id', '=', cdb.corpId)
    .where('lo.customer_id', 'is not', null)
    .$narrowType<{ customer_id: number }>();
}

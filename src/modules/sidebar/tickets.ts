import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Pii } from '../../platform/pii.ts';
import type { CorpLink } from '../../platform/wecom-links.ts';
import { jsapiSignature, nonceStr } from '../../wecom/jssdk.ts';
import { JSAPI_TICKET_REFRESH_MARGIN_SECONDS } from '../../wecom/limits.ts';
import type { Tables } from '../tables.ts';
import type { TicketKind } from './schema.ts';

/** In flight per brand and kind: a page burst asks WeCom once (the hourly limit is 100 fetches). */
const inflight = new Map<string, Promise<string>>();

/**
 * The brand's current ticket of a kind: the stored one while it has more than the margin left, else a new one
 * from WeCom (get_jsapi_ticket, or ticket/get?type=agent_config), stored for the other processes.
 */
export async function ticketOf(
  deps: { db: Kysely<Tables>; clock: Clock; pii: Pii },
  link: CorpLink,
  kind: TicketKind,
): Promise<string> {
  const now = deps.clock.now();
  const row = await deps.db
    .selectFrom('sidebar_tickets')
    .select(['ticket_cipher', 'expires_at'])
    .where('corp_id', '=', link.corpId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (row && row.expires_at.getTime() - JSAPI_TICKET_REFRESH_MARGIN_SECONDS * 1000 > now.getTime())
    return deps.pii.decrypt(row.ticket_cipher);
  const key = `${link.corpId}|${kind}`;
  let pending = inflight.get(key);
  if (!pending) {
    pending = (async () => {
      const answer =
        kind === 'jsapi' ? await link.client.getJsapiTicket() : await link.client.getAgentConfigTicket();
      const fetchedAt = deps.clock.now();
      const values = {
        ticket_cipher: deps.pii.encrypt(answer.ticket),
        expires_at: new Date(fetchedAt.getTime() + answer.expires_in * 1000),
        fetched_at: fetchedAt,
      };
      await deps.db
        .insertInto('sidebar_tickets')
        .values({ corp_id: link.corpId, kind, ...values })
        .onConflict((oc) => oc.columns(['corp_id', 'kind']).doUpdateSet(values))
        .execute();
      return answer.ticket;
    })().finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return pending;
}

export interface JsSdkSignature {
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/** Signs a page URL with a ticket (a fresh nonce, the current second). */
export function signPage(ticket: string, url: string, clock: Clock): JsSdkSignature {
  const timestamp = Math.floor(clock.now().getTime() / 1000);
  const nonce = nonceStr();
  return {
    timestamp,
    nonceStr: nonce,
    signature: jsapiSignature({ ticket, nonceStr: nonce, timestamp, url }),
  };
}

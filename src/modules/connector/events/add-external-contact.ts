import type {
  AddExternalContactEvent,
  AddHalfExternalContactEvent,
  EditExternalContactEvent,
} from '../../../wecom/events.ts';
import { upsertCustomerFromWecom } from '../../customers/index.ts';
import { readCustomer, toWecomFollow } from '../wecom-reads.ts';
import type { WecomEventCtx } from './event.ts';

/**
 * A customer added a member (or a member added them), or a member edited their remark or tags: WeCom is
 * read first (the customer with every follow), then the mirror commits in one transaction with what reacts
 * to the add in it (the channel's attribution and welcome: ContactAdded's in-transaction subscribers).
 */
export async function addExternalContact(
  { ctx, client, at }: WecomEventCtx,
  event: AddExternalContactEvent | AddHalfExternalContactEvent | EditExternalContactEvent,
): Promise<void> {
  const wecom = await readCustomer(ctx, client, event);
  if (!wecom) return;
  await upsertCustomerFromWecom(ctx, wecom.contact, wecom.follows.map(toWecomFollow), {
    // the event's member is known now: readCustomer fetched them if they were new
    complete: wecom.follows.every((f) => wecom.known.has(f.userid) || f.userid === event.userId),
    at,
    staff: wecom.known,
    add:
      event.type === 'edit_external_contact'
        ? undefined
        : {
            userid: event.userId,
            state: event.state ?? null,
            welcomeCode: event.welcomeCode ?? null,
            eventAt: at,
          },
  });
}

import type { InboxEvent } from '../../../platform/jobs/inbox.ts';
import { WecomApiError } from '../../../wecom/errors.ts';
import type { WecomEvent } from '../../../wecom/events.ts';
import { type Deps, syncCtxOf } from '../../context.ts';
import { addExternalContact } from './add-external-contact.ts';
import { delExternalContact } from './del-external-contact.ts';
import { delFollowUser } from './del-follow-user.ts';
import type { WecomEventCtx } from './event.ts';
import { externalChatChange } from './external-chat-change.ts';
import { externalChatDismiss } from './external-chat-dismiss.ts';
import { externalTagChange } from './external-tag-change.ts';
import { externalTagDelete } from './external-tag-delete.ts';
import { transferFail } from './transfer-fail.ts';

// biome-ignore lint/suspicious/noExplicitAny: each handler takes its own event type; the key says which
type Handler = (c: WecomEventCtx, event: any) => Promise<void>;

/**
 * WeCom's callbacks by (MsgType, Event, ChangeType), each to the file that turns it into WeCom reads and
 * changes of the owning modules (which publish the domain events). Anything else (messages to the app,
 * events Siyu does not use) is recorded in the inbox and handled as done.
 */
export const WECOM_EVENTS: Readonly<Record<string, Handler>> = {
  'event/change_external_contact/add_external_contact': addExternalContact,
  'event/change_external_contact/add_half_external_contact': addExternalContact,
  'event/change_external_contact/edit_external_contact': addExternalContact,
  'event/change_external_contact/del_external_contact': delExternalContact,
  'event/change_external_contact/del_follow_user': delFollowUser,
  'event/change_external_contact/transfer_fail': transferFail,
  'event/change_external_chat/create': externalChatChange,
  'event/change_external_chat/update': externalChatChange,
  'event/change_external_chat/dismiss': externalChatDismiss,
  'event/change_external_tag/create': externalTagChange,
  'event/change_external_tag/update': externalTagChange,
  'event/change_external_tag/shuffle': externalTagChange,
  'event/change_external_tag/delete': externalTagDelete,
};

/** The map's key of an event, from its XML header. */
export function wecomEventKey(event: WecomEvent): string {
  const { MsgType, Event, ChangeType } = event.raw;
  return [MsgType, Event, ChangeType].filter((v) => typeof v === 'string' && v !== '').join('/');
}

/** WeCom answers these when the customer or group is already gone: nothing left to mirror. */
const GONE = new Set([40096, 84061, 90500, 90501, 40050, 49008]);

/** The inbox's handler: one stored callback to its effects. Idempotent: a retried row changes nothing more. */
export function handleWecomEvent(deps: Deps) {
  return async (row: InboxEvent): Promise<void> => {
    const event = row.event as unknown as WecomEvent;
    const handler = WECOM_EVENTS[wecomEventKey(event)];
    if (!handler) return;
    const { client } = await deps.links.require(row.corpId);
    try {
      await handler(
        { ctx: syncCtxOf(deps, row.corpId), client, at: new Date(event.createTime * 1000) },
        event,
      );
    } catch (err) {
      if (err instanceof WecomApiError && GONE.has(err.errcode)) return;
      throw err;
    }
  };
}

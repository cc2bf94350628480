import type { OutboxRow } from '../../platform/jobs/outbox.ts';
import type { WecomClient } from '../../wecom/client.ts';
import type { SyncCtx } from '../context.ts';

/**
 * What a module does around one kind of outbox call (the kind is the WeCom API path). Without an entry, or
 * without `send`, the row's request is posted to its path as it is.
 */
export interface OutboxEffect {
  /** Makes the call itself, e.g. to send the current state rather than the one at enqueue time. */
  send?(ctx: SyncCtx, client: WecomClient, row: OutboxRow): Promise<Record<string, unknown>>;
  /** After the row is done: keep what WeCom answered (an id, a QR code). */
  onDone?(ctx: SyncCtx, row: OutboxRow, result: Record<string, unknown>): Promise<void>;
}

export type OutboxEffects = Readonly<Record<string, OutboxEffect>>;

/**
 * The domain events modules publish: the contract between them. A module publishes the events of the data
 * it owns (`ctx.events.publish`), in the transaction that changes it; another module reacts by declaring a
 * subscriber in its manifest. Each payload carries what a subscriber needs to act without reading the
 * producer's tables again; the log keeps them for the retention the README states.
 */

/**
 * A customer added a member and Siyu has mirrored the follow: WeCom said so (add_external_contact), or a full
 * sync found the follow, whose callback Siyu missed (it was down longer than WeCom retries), once the
 * welcome window had passed.
 */
export interface ContactAdded {
  type: 'ContactAdded';
  /** `full_sync`: recovered by that sync run (`syncRun`), the welcome window past and no welcome code. */
  via: 'callback' | 'full_sync';
  syncRun: number | null;
  customerId: number;
  externalUserid: string;
  /** The member (WeCom userid) and their staff id. */
  userid: string;
  staffId: number;
  /** The «联系我» `state` of the code the customer scanned, when there was one. */
  state: string | null;
  /** WeCom's welcome_code: the welcome may be sent with it within 20 s of `eventAt`. */
  welcomeCode: string | null;
  /** False when Siyu already had this follow active (a full sync or an edit came first). */
  newFollow: boolean;
  /** When WeCom says the follow began, and when its callback was created (ISO times). */
  addedAt: string;
  eventAt: string;
}

/** A follow ended: the customer deleted the member, the member deleted the customer, or WeCom no longer has it. */
export interface FollowEnded {
  type: 'FollowEnded';
  customerId: number;
  staffId: number;
  userid: string;
  by: 'customer' | 'staff' | 'full_sync';
  at: string;
  /** WeCom's Source, e.g. DELETE_BY_TRANSFER. */
  source: string | null;
  /** Whether the customer still has an active follow. */
  stillFollowed: boolean;
}

/** A customer's row was written from WeCom (a callback or a full-sync page): their identities as WeCom knows them. */
export interface CustomerMirrored {
  type: 'CustomerMirrored';
  customerId: number;
  externalUserid: string;
  unionid: string | null;
  /** The keyed hash of the phone a member noted, when one is known. */
  phoneHash: string | null;
  created: boolean;
}

/** Why a customer's tags changed. */
export type TagCause =
  | { source: 'siyu'; by: string; accountId: number /** a bulk tagging job */; jobId?: number }
  | { source: 'rule'; ruleId: number; ruleName: string; trigger: string; why: { zh: string; en: string } }
  | { source: 'channel'; channelId: number; channelName: string }
  | { source: 'journey'; journeyId: number; journeyName: string; nodeId: string }
  | { source: 'wecom' }
  | { source: 'tag_deleted'; where: 'wecom' | 'siyu' };

/** Tags were put on or taken off a customer. */
export interface TagsChanged {
  type: 'TagsChanged';
  customerId: number;
  added: { id: number; name: string }[];
  removed: { id: number; name: string }[];
  cause: TagCause;
  /** The member whose follow carries the change in WeCom, when one does. */
  staffId: number | null;
  at: string;
}

/** Corp tags are about to be deleted (in WeCom or in Siyu): what refers to them lets go, in the same transaction. */
export interface TagsDeleted {
  type: 'TagsDeleted';
  customerId: null;
  tags: { id: number; name: string }[];
  where: 'wecom' | 'siyu';
  at: string;
}

/** Corp tags just got their WeCom ids: customers carrying them in Siyu can be marked in WeCom now. */
export interface TagsReachedWecom {
  type: 'TagsReachedWecom';
  customerId: null;
  tagIds: number[];
}

/** An order as the modules that react to it see it, once OneID has linked it to a customer. */
export interface LinkedOrder {
  id: number;
  customerId: number;
  unitId: number | null;
  channel: 'miniprogram' | 'ecommerce' | 'pos';
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  orderedAt: string;
  items: { productCode: string; productName: string; quantity: number; priceFen: number }[];
}

/** Orders were linked to a customer: at ingest, or later when an identity appeared. */
export interface OrdersLinked {
  type: 'OrdersLinked';
  customerId: number;
  orders: LinkedOrder[];
}

/** Orders or members left a customer (an undone identity link): what was derived from them is stale. */
export interface OrdersUnlinked {
  type: 'OrdersUnlinked';
  customerId: number;
  orderIds: number[];
  memberIds: number[];
}

/** A membership record was linked to a customer. */
export interface MemberLinked {
  type: 'MemberLinked';
  customerId: number;
  memberId: number;
  memberNo: string;
  level: string | null;
  source: string;
}

export type LifecycleStage = 'new' | 'active' | 'repeat' | 'super' | 'dormant' | 'churned';

/** A customer's lifecycle stage moved. */
export interface StageChanged {
  type: 'StageChanged';
  customerId: number;
  from: LifecycleStage | null;
  to: LifecycleStage;
  cause: 'orders' | 'follows' | 'settings' | 'time';
  at: string;
}

/** A customer added a member through a channel code: the add is the channel's. */
export interface ChannelAttributed {
  type: 'ChannelAttributed';
  customerId: number;
  channelId: number;
  channelName: string;
  codeId: number;
  method: string;
  scene: string;
  staffId: number;
  userid: string;
  addedAt: string;
}

/** WeCom said a transfer of a customer failed (the transfer_fail callback): refused, or over the limit. */
export interface TransferFailed {
  type: 'TransferFailed';
  customerId: number;
  externalUserid: string;
  /** The takeover member (WeCom userid). */
  takeoverUserid: string;
  reason: string;
  at: string;
}

export type DomainEvent =
  | ContactAdded
  | TransferFailed
  | FollowEnded
  | CustomerMirrored
  | TagsChanged
  | TagsDeleted
  | TagsReachedWecom
  | OrdersLinked
  | OrdersUnlinked
  | MemberLinked
  | StageChanged
  | ChannelAttributed;

export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

import { z } from 'zod';
import type {
  AddContactWayResponse,
  AddMsgTemplateResponse,
  Attachment,
  BatchGetByUserResponse,
  ContactWay,
  CorpTagGroup,
  Department,
  GetExternalContactResponse,
  GetGroupMsgListV2Response,
  GetGroupMsgSendResultResponse,
  GetGroupMsgTaskResponse,
  GetUnassignedListResponse,
  GroupChat,
  JoinWay,
  ListContactWayResponse,
  ListGroupChatsResponse,
  ListUserIdsResponse,
  TransferCustomerResponse,
  TransferGroupChatsResponse,
  TransferResultResponse,
  WecomResponse,
  WecomUser,
} from '../client.ts';

/**
 * Runtime schemas of every WeCom response the client reads, written from the client's TypeScript types and
 * the field names in /work/shared/wecom/API-FACTS.md.
 *
 * - Each schema `satisfies z.ZodType<ClientType>`: what it accepts is assignable to what the client promises,
 *   so a schema can never be looser than the type (tsc fails when the client's types change under it).
 * - Objects are strict: an unexpected (e.g. misspelt) field fails, as does a missing required one.
 * - Where API-FACTS is firmer than the client's type (ids' formats, enumerations, fields it lists as always
 *   present) the schema follows API-FACTS.
 */

const int = z.number().int();
/** Unix seconds (after 2001-09-09). */
const unixS = int.min(1_000_000_000).max(9_999_999_999);
/** Unix seconds, or 0 for "not yet". */
const unixOr0 = z.union([z.literal(0), unixS]);

// ── ids (API-FACTS §5) ─────────────────────────────────────────────────────
export const externalUserid = z.string().regex(/^w[mo][\w-]{20,}$/, 'external_userid: wm… or wo…');
export const chatId = z.string().regex(/^wr[\w-]{20,}$/, 'chat_id: wr…');
export const corpTagId = z.string().regex(/^et[\w-]{20,}$/, 'corp tag / tag group id: et…');
export const hex32 = z.string().regex(/^[0-9a-f]{32}$/, '32 hex characters');
export const url = z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL');
/** A cursor: opaque, '' (or absent) on the last page. */
const cursor = z.string().optional();

/** The success envelope every answer carries (errmsg "ok"). */
const ok = { errcode: z.literal(0), errmsg: z.literal('ok') };
function envelope<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...ok, ...shape });
}

/** `remark`, `mark_tag`, `edit_corp_tag`, `del_corp_tag`, `update_contact_way`, `del_*`, `send_welcome_msg`, … */
export const Empty = envelope({}) satisfies z.ZodType<WecomResponse>;

// ── Directory ──────────────────────────────────────────────────────────────
export const DepartmentSchema = z.strictObject({
  id: int.min(1),
  name: z.string(),
  name_en: z.string().optional(),
  department_leader: z.array(z.string()).optional(),
  parentid: int.min(0),
  order: int.min(0),
}) satisfies z.ZodType<Department>;

export const DepartmentList = envelope({ department: z.array(DepartmentSchema) }) satisfies z.ZodType<{
  department: Department[];
}>;

export const ListUserIds = envelope({
  next_cursor: cursor,
  dept_user: z.array(z.strictObject({ userid: z.string(), department: int.min(1) })),
}) satisfies z.ZodType<ListUserIdsResponse>;

/** `user/get` carries many more fields than the client names (it keeps them: `[extra: string]: unknown`). */
export const User = z.looseObject({
  ...ok,
  userid: z.string(),
  name: z.string(),
  department: z.array(int.min(1)),
  position: z.string().optional(),
  mobile: z.string().optional(),
  gender: z.enum(['0', '1', '2']).optional(),
  avatar: z.string().optional(),
  status: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(5)]),
  main_department: int.min(1).optional(),
}) satisfies z.ZodType<WecomUser>;

// ── Customers ──────────────────────────────────────────────────────────────
export const FollowUserList = envelope({ follow_user: z.array(z.string()) }) satisfies z.ZodType<{
  follow_user: string[];
}>;

export const ExternalUserIdList = envelope({ external_userid: z.array(externalUserid) }) satisfies z.ZodType<{
  external_userid: string[];
}>;

export const ExternalContactSchema = z.strictObject({
  external_userid: externalUserid,
  name: z.string(),
  position: z.string().optional(),
  avatar: z.string().optional(),
  corp_name: z.string().optional(),
  corp_full_name: z.string().optional(),
  type: z.union([z.literal(1), z.literal(2)]),
  gender: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  unionid: z.string().optional(),
  external_profile: z.unknown().optional(),
});

/** add_way values of API-FACTS §3. */
const addWay = z
  .number()
  .int()
  .refine((n) => (n >= 0 && n <= 18) || n === 201 || n === 202, 'add_way: 0–18, 201 or 202');

const followCommon = {
  userid: z.string(),
  remark: z.string().optional(),
  description: z.string().optional(),
  createtime: unixS,
  remark_corp_name: z.string().optional(),
  remark_mobiles: z.array(z.string()).optional(),
  oper_userid: z.string().optional(),
  add_way: addWay.optional(),
  state: z.string().optional(),
  wechat_channels: z.strictObject({ nickname: z.string(), source: int.optional() }).optional(),
};

export const FollowUserTagSchema = z
  .strictObject({
    group_name: z.string().optional(),
    tag_name: z.string(),
    type: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    tag_id: z.string().optional(),
  })
  // API-FACTS §3: personal tags (type 2) have no tag_id; corp and rule-group tags do.
  .refine((t) => (t.type === 2) === (t.tag_id === undefined), 'tag_id is present unless type is 2');

export const GetExternalContact = envelope({
  external_contact: ExternalContactSchema,
  follow_user: z.array(z.strictObject({ ...followCommon, tags: z.array(FollowUserTagSchema).optional() })),
  next_cursor: cursor,
}) satisfies z.ZodType<GetExternalContactResponse>;

export const BatchGetByUser = envelope({
  external_contact_list: z.array(
    z.strictObject({
      external_contact: ExternalContactSchema,
      follow_info: z.strictObject({ ...followCommon, tag_id: z.array(z.string()).optional() }),
    }),
  ),
  next_cursor: cursor,
}) satisfies z.ZodType<BatchGetByUserResponse>;

// ── Corp tags ──────────────────────────────────────────────────────────────
const order = int.min(0).max(2 ** 32 - 1);

const corpTag = {
  id: corpTagId,
  name: z.string().min(1),
  create_time: unixS,
  order,
  deleted: z.boolean().optional(),
};
const corpTagGroup = {
  group_id: corpTagId,
  group_name: z.string().min(1),
  create_time: unixS,
  order,
  deleted: z.boolean().optional(),
};

export const AddCorpTag = envelope({
  tag_group: z.strictObject({ ...corpTagGroup, tag: z.array(z.strictObject(corpTag)) }),
}) satisfies z.ZodType<{ tag_group: CorpTagGroup }>;

/** `get_corp_tag_list`: API-FACTS §3 lists `deleted` on every group and every tag. */
export const CorpTagList = envelope({
  tag_group: z.array(
    z.strictObject({
      ...corpTagGroup,
      deleted: z.boolean(),
      tag: z.array(z.strictObject({ ...corpTag, deleted: z.boolean() })),
    }),
  ),
}) satisfies z.ZodType<{ tag_group: CorpTagGroup[] }>;

// ── «联系我» ───────────────────────────────────────────────────────────────
export const AddContactWay = envelope({
  config_id: hex32,
  qr_code: url.optional(),
}) satisfies z.ZodType<AddContactWayResponse>;

const media = z.strictObject({ media_id: z.string().optional(), pic_url: z.string().optional() });
const link = z.strictObject({
  title: z.string(),
  url: z.string(),
  picurl: z.string().optional(),
  desc: z.string().optional(),
  media_id: z.string().optional(),
});
const miniprogram = z.strictObject({
  title: z.string(),
  pic_media_id: z.string(),
  appid: z.string(),
  page: z.string(),
});

export const ContactWaySchema = z.strictObject({
  config_id: hex32,
  type: z.union([z.literal(1), z.literal(2)]),
  scene: z.union([z.literal(1), z.literal(2)]),
  style: int.optional(),
  remark: z.string().optional(),
  skip_verify: z.boolean().optional(),
  state: z.string().max(30).optional(),
  user: z.array(z.string()).optional(),
  party: z.array(int).optional(),
  is_temp: z.boolean().optional(),
  expires_in: int.optional(),
  chat_expires_in: int.optional(),
  unionid: z.string().optional(),
  is_exclusive: z.boolean().optional(),
  mark_source: z.boolean().optional(),
  conclusions: z
    .strictObject({
      text: z.strictObject({ content: z.string() }).optional(),
      image: media.optional(),
      link: link.omit({ media_id: true }).optional(),
      miniprogram: miniprogram.optional(),
    })
    .optional(),
  qr_code: url.optional(),
}) satisfies z.ZodType<ContactWay>;

export const GetContactWay = envelope({ contact_way: ContactWaySchema }) satisfies z.ZodType<{
  contact_way: ContactWay;
}>;

export const ListContactWay = envelope({
  contact_way: z.array(z.strictObject({ config_id: hex32 })),
  next_cursor: cursor,
}) satisfies z.ZodType<ListContactWayResponse>;

// ── Welcome and mass messages ──────────────────────────────────────────────
export const AttachmentSchema = z.discriminatedUnion('msgtype', [
  z.strictObject({ msgtype: z.literal('image'), image: media }),
  z.strictObject({ msgtype: z.literal('link'), link }),
  z.strictObject({ msgtype: z.literal('miniprogram'), miniprogram }),
  z.strictObject({ msgtype: z.literal('video'), video: z.strictObject({ media_id: z.string() }) }),
  z.strictObject({ msgtype: z.literal('file'), file: z.strictObject({ media_id: z.string() }) }),
]) satisfies z.ZodType<Attachment>;

export const UploadMedia = envelope({
  type: z.enum(['image', 'voice', 'video', 'file']),
  media_id: z.string().min(1).max(256),
  created_at: z.string().regex(/^\d+$/),
});

export const AddMsgTemplate = envelope({
  fail_list: z.array(z.string()).optional(),
  msgid: z.string().min(1),
}) satisfies z.ZodType<AddMsgTemplateResponse>;

export const GroupMsgListV2 = envelope({
  next_cursor: cursor,
  group_msg_list: z.array(
    z.strictObject({
      msgid: z.string().min(1),
      creator: z.string().optional(),
      // The official sample quotes it ("create_time": "…"); the client accepts a number or a numeric string.
      create_time: z.union([unixS, z.string().regex(/^\d{10}$/)]),
      create_type: z.union([z.literal(0), z.literal(1)]),
      text: z.strictObject({ content: z.string() }).optional(),
      attachments: z.array(AttachmentSchema).optional(),
    }),
  ),
}) satisfies z.ZodType<GetGroupMsgListV2Response>;

export const GroupMsgTask = envelope({
  next_cursor: cursor,
  // API-FACTS §3: status 0 unsent, 2 sent.
  task_list: z.array(
    z.strictObject({
      userid: z.string(),
      status: z.union([z.literal(0), z.literal(2)]),
      send_time: unixOr0.optional(),
    }),
  ),
}) satisfies z.ZodType<GetGroupMsgTaskResponse>;

export const GroupMsgSendResult = envelope({
  next_cursor: cursor,
  // API-FACTS §3: status 0 unsent, 1 sent, 2 not a friend, 3 already received another 群发.
  send_list: z.array(
    z
      .strictObject({
        external_userid: externalUserid.optional(),
        chat_id: chatId.optional(),
        userid: z.string(),
        status: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
        send_time: unixOr0.optional(),
      })
      .refine((r) => (r.external_userid === undefined) !== (r.chat_id === undefined), {
        message: 'a send_list row names an external_userid or a chat_id',
      }),
  ),
}) satisfies z.ZodType<GetGroupMsgSendResultResponse>;

// ── Customer groups ────────────────────────────────────────────────────────
export const ListGroupChats = envelope({
  group_chat_list: z.array(
    z.strictObject({
      chat_id: chatId,
      // API-FACTS §3: 0 normal, 1 离职待继承, 2 继承中, 3 继承完成.
      status: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
    }),
  ),
  next_cursor: cursor,
}) satisfies z.ZodType<ListGroupChatsResponse>;

export const GroupChatMemberSchema = z.strictObject({
  userid: z.string(),
  type: z.union([z.literal(1), z.literal(2)]),
  unionid: z.string().optional(),
  join_time: unixS,
  // API-FACTS §3: 1 direct invite, 2 invite link, 3 group QR code (the callback's JoinScene differs).
  join_scene: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  invitor: z.strictObject({ userid: z.string() }).optional(),
  group_nickname: z.string().optional(),
  name: z.string().optional(),
  state: z.string().optional(),
});

export const GetGroupChat = envelope({
  group_chat: z.strictObject({
    chat_id: chatId,
    name: z.string(),
    owner: z.string(),
    create_time: unixS,
    notice: z.string().optional(),
    member_list: z.array(GroupChatMemberSchema),
    admin_list: z.array(z.strictObject({ userid: z.string() })).optional(),
    member_version: hex32.optional(),
  }),
}) satisfies z.ZodType<{ group_chat: GroupChat }>;

export const AddJoinWay = envelope({ config_id: hex32 }) satisfies z.ZodType<{ config_id: string }>;

export const GetJoinWay = envelope({
  join_way: z.strictObject({
    config_id: hex32,
    scene: z.union([z.literal(1), z.literal(2)]),
    remark: z.string().max(30).optional(),
    auto_create_room: z.union([z.literal(0), z.literal(1)]).optional(),
    room_base_name: z.string().optional(),
    room_base_id: int.optional(),
    chat_id_list: z.array(chatId).min(1).max(5),
    state: z.string().max(30).optional(),
    mark_source: z.boolean().optional(),
    qr_code: url.optional(),
  }),
}) satisfies z.ZodType<{ join_way: JoinWay }>;

// ── Transfers ──────────────────────────────────────────────────────────────
export const TransferCustomer = envelope({
  customer: z.array(z.strictObject({ external_userid: z.string(), errcode: int })),
}) satisfies z.ZodType<TransferCustomerResponse>;

export const TransferResult = envelope({
  // API-FACTS §3: 1 done, 2 waiting, 3 refused, 4 over limit, 5 no record.
  customer: z.array(
    z.strictObject({
      external_userid: externalUserid,
      status: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]),
      takeover_time: unixOr0,
    }),
  ),
  next_cursor: cursor,
}) satisfies z.ZodType<TransferResultResponse>;

export const UnassignedList = envelope({
  info: z.array(
    z.strictObject({ handover_userid: z.string(), external_userid: externalUserid, dimission_time: unixS }),
  ),
  is_last: z.boolean(),
  next_cursor: cursor,
}) satisfies z.ZodType<GetUnassignedListResponse>;

export const TransferGroupChats = envelope({
  failed_chat_list: z
    .array(z.strictObject({ chat_id: z.string(), errcode: int.refine((n) => n !== 0), errmsg: z.string() }))
    .optional(),
}) satisfies z.ZodType<TransferGroupChatsResponse>;

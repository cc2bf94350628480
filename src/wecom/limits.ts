/**
 * Every documented WeCom limit Siyu relies on, in one place. "§n" refers to /work/shared/wecom/API-FACTS.md;
 * "off:NNNNN" to https://developer.work.weixin.qq.com/document/path/NNNNN. Lengths called "chars" count
 * Unicode code points; "bytes" count UTF-8 bytes.
 */

// ── Rate limits and retries ────────────────────────────────────────────────
/** Per corp, per single API: 10,000 calls a minute (§1, off:90454/90312). */
export const API_CALLS_PER_MINUTE = 10_000;
/** Per corp, per single API: 150,000 calls an hour (§1). */
export const API_CALLS_PER_HOUR = 150_000;
/** A per-minute limit, once hit, blocks for 60 s (§1). */
export const MINUTE_LIMIT_BLOCK_SECONDS = 60;
/** errcode -1 (system busy): retry at most 3 times (§1 table). */
export const SYSTEM_BUSY_MAX_RETRIES = 3;

// ── Access token ───────────────────────────────────────────────────────────
/** gettoken's usual expires_in (§1). */
export const ACCESS_TOKEN_TTL_SECONDS = 7200;
/** An access_token is at most 512 bytes (§1). */
export const ACCESS_TOKEN_MAX_BYTES = 512;

// ── Callbacks ──────────────────────────────────────────────────────────────
/** WeCom drops a callback after 5 s without a response and retries (§2). */
export const CALLBACK_RESPONSE_TIMEOUT_SECONDS = 5;
/** A callback is retried three times in all, only on connection failure or timeout (§2). */
export const CALLBACK_MAX_RETRIES = 3;
/** URL verification must be answered within 1 s (§2). */
export const VERIFY_URL_TIMEOUT_SECONDS = 1;

// ── Customers (external contacts) ─────────────────────────────────────────
/** `get`: followers are paged with `cursor` above 500 (§3, off:96315). */
export const GET_EXTERNAL_CONTACT_PAGE_FOLLOWERS = 500;
/** `batch/get_by_user`: userid_list ≤ 100 (§3, off:96316). */
export const BATCH_GET_BY_USER_MAX_USERIDS = 100;
/** `batch/get_by_user`: limit ≤ 100 (§3). */
export const BATCH_GET_BY_USER_MAX_LIMIT = 100;
/** `batch/get_by_user`: default limit 50 (§3). */
export const BATCH_GET_BY_USER_DEFAULT_LIMIT = 50;
/** `remark`: remark ≤ 20 chars (§3). */
export const REMARK_MAX_CHARS = 20;
/** `remark`: description ≤ 150 chars (§3). */
export const REMARK_DESCRIPTION_MAX_CHARS = 150;
/** `remark`: remark_company ≤ 20 chars (§3). */
export const REMARK_COMPANY_MAX_CHARS = 20;

// ── Corp tags ──────────────────────────────────────────────────────────────
/** `add_corp_tag`: tag and group names ≤ 30 chars (§3). */
export const TAG_NAME_MAX_CHARS = 30;
/** Corp tags per corp: 10,000 in current docs (3,000 in older text) (§3, §5). */
export const CORP_TAGS_PER_CORP = 10_000;
/** `order` is in [0, 2^32) (§3). */
export const TAG_ORDER_MAX = 2 ** 32 - 1;

// ── «联系我» contact ways ──────────────────────────────────────────────────
/** `add_contact_way` / `add_join_way`: state ≤ 30 chars (§3 «联系我» table). */
export const CONTACT_WAY_STATE_MAX_CHARS = 30;
/** `add_contact_way`: remark ≤ 30 chars (§3). */
export const CONTACT_WAY_REMARK_MAX_CHARS = 30;
/** At most 100 members per contact way, counted after expanding departments (§3). */
export const CONTACT_WAY_MAX_USERS = 100;
/** Temporary session `expires_in` ≤ 14 days (§3). */
export const CONTACT_WAY_MAX_EXPIRES_IN_SECONDS = 14 * 86_400;
/** Temporary session `chat_expires_in` ≤ 14 days (§3). */
export const CONTACT_WAY_MAX_CHAT_EXPIRES_IN_SECONDS = 14 * 86_400;
/** «联系我» + «加入群聊» created through the API: 500,000 per corp combined (§3, §5). */
export const CONTACT_AND_JOIN_WAYS_PER_CORP = 500_000;

// ── Welcome message ────────────────────────────────────────────────────────
/** `send_welcome_msg` must be called within 20 s of the event, once (§3, off:92599). */
export const WELCOME_WINDOW_SECONDS = 20;
/** Welcome text.content ≤ 4000 bytes (§3). */
export const WELCOME_TEXT_MAX_BYTES = 4000;
/** Welcome attachments ≤ 9 (§3). */
export const WELCOME_MAX_ATTACHMENTS = 9;
/** Group-welcome templates: ≤ 100 per corp (§3, off:92366). */
export const GROUP_WELCOME_TEMPLATES_PER_CORP = 100;

// ── Mass messages (群发) ───────────────────────────────────────────────────
/** `add_msg_template`: external_userid ≤ 10,000 (§3, off:92135). */
export const MSG_TEMPLATE_MAX_EXTERNAL_USERIDS = 10_000;
/** `add_msg_template`: chat_id_list ≤ 2,000 (§3). */
export const MSG_TEMPLATE_MAX_CHAT_IDS = 2_000;
/** `add_msg_template`: tag_filter group tag_list ≤ 100 per group (§3). */
export const MSG_TEMPLATE_MAX_TAGS_PER_GROUP = 100;
/** `add_msg_template`: text.content ≤ 4000 bytes (§3). */
export const MSG_TEMPLATE_TEXT_MAX_BYTES = 4000;
/** `add_msg_template`: attachments ≤ 9 (§3). */
export const MSG_TEMPLATE_MAX_ATTACHMENTS = 9;
/** `get_groupmsg_list_v2`: limit ≤ 100 (default 50) (§3). */
export const GROUPMSG_LIST_MAX_LIMIT = 100;
/** `get_groupmsg_task`: limit ≤ 1000 (default 500) (§3). */
export const GROUPMSG_TASK_MAX_LIMIT = 1000;
/** `remind_groupmsg_send`: at most 3 reminders per 24 h (§3, off:97610). */
export const GROUPMSG_REMINDS_PER_DAY = 3;

// ── App messages (message/send, 发送应用消息) ──────────────────────────────
/** `message/send`: touser ≤ 1000 userids (40032). */
export const APP_MSG_MAX_USERS = 1000;
/** `message/send`: toparty ≤ 100, totag ≤ 100. */
export const APP_MSG_MAX_PARTIES = 100;
export const APP_MSG_MAX_TAGS = 100;
/** `message/send` text.content ≤ 2048 bytes (WeCom truncates longer); markdown.content ≤ 2048 bytes. */
export const APP_MSG_TEXT_MAX_BYTES = 2048;
export const APP_MSG_MARKDOWN_MAX_BYTES = 2048;
/** textcard: title ≤ 128 bytes, description ≤ 512 bytes (truncated beyond), url ≤ 2048 bytes. */
export const TEXTCARD_TITLE_MAX_BYTES = 128;
export const TEXTCARD_DESCRIPTION_MAX_BYTES = 512;
export const TEXTCARD_URL_MAX_BYTES = 2048;
/** A member receives at most 30 app messages a minute and 1000 an hour (§1). */
export const APP_MSG_PER_MEMBER_PER_MINUTE = 30;
export const APP_MSG_PER_MEMBER_PER_HOUR = 1000;
/** enable_duplicate_check: duplicate_check_interval defaults to 1800 s, at most 4 h. */
export const APP_MSG_DUPLICATE_CHECK_MAX_SECONDS = 4 * 3600;

// ── Customer groups ────────────────────────────────────────────────────────
/** `groupchat/list`: limit 1–1000 (§3). */
export const GROUPCHAT_LIST_MAX_LIMIT = 1000;
/** `groupchat/list`: owner_filter.userid_list ≤ 100 (§3). */
export const GROUPCHAT_LIST_MAX_OWNERS = 100;
/** `groupchat/list` without owner_filter fails (81017) when the visible range exceeds 1000 people (§1). */
export const GROUPCHAT_LIST_UNFILTERED_MAX_VISIBLE = 1000;
/** `add_join_way`: chat_id_list ≤ 5 (§3, §5, off:99547). */
export const JOIN_WAY_MAX_CHAT_IDS = 5;
/** `add_join_way`: remark ≤ 30 chars; WeCom truncates longer ones (§3). */
export const JOIN_WAY_REMARK_MAX_CHARS = 30;
/** `add_join_way`: room_base_name ≤ 40 chars (§3). */
export const JOIN_WAY_ROOM_BASE_NAME_MAX_CHARS = 40;
/** A customer group holds up to 500; above 200, QR joining stops (§5). */
export const GROUP_MAX_MEMBERS = 500;
export const GROUP_QR_JOIN_MAX_MEMBERS = 200;

// ── Transfers (继承) ───────────────────────────────────────────────────────
/** `transfer_customer` / `resigned/transfer_customer`: external_userid ≤ 100 per call (§3, §5). */
export const TRANSFER_MAX_CUSTOMERS = 100;
/** `transfer_customer`: transfer_success_msg ≤ 200 chars (§3). */
export const TRANSFER_SUCCESS_MSG_MAX_CHARS = 200;
/** A customer can be transferred at most twice (§3, §5). */
export const TRANSFERS_PER_CUSTOMER = 2;
/** After its transfers a customer is protected for 90 days (§3). */
export const TRANSFER_PROTECTION_DAYS = 90;
/** An on-job takeover completes automatically after 24 h (§3). */
export const TRANSFER_TAKEOVER_HOURS = 24;
/** `transfer_result`: ≤ 1000 records per page (§3). */
export const TRANSFER_RESULT_PAGE_SIZE = 1000;
/** `get_unassigned_list`: page_size ≤ 1000 (§3). */
export const UNASSIGNED_LIST_MAX_PAGE_SIZE = 1000;
/** `groupchat/transfer` and `groupchat/onjob_transfer`: chat_id_list 1–100 (§3). */
export const GROUP_TRANSFER_MAX_CHATS = 100;
/** At most 300 groups a day to one new owner (§3, §5). */
export const GROUP_TRANSFERS_PER_OWNER_PER_DAY = 300;

// ── Contacts directory ─────────────────────────────────────────────────────
/** `user/list_id`: limit 1–10000 (off:96067). */
export const USER_LIST_ID_MAX_LIMIT = 10_000;

// ── Product limits ─────────────────────────────────────────────────────────
/** Customers per member: 5,000 initially, expandable (sources disagree; make it configurable) (§5). */
export const CUSTOMERS_PER_MEMBER_INITIAL = 5_000;
/** Media `media_id` is valid for 3 days (§5). */
export const MEDIA_ID_TTL_SECONDS = 3 * 86_400;

// ── Sidebar (聊天工具栏): OAuth and the JS-SDK (API-FACTS-2 §7) ──────────────
/** An OAuth code is single-use and expires 5 minutes after it is issued (§7.1; errcode 40029). */
export const OAUTH_CODE_TTL_SECONDS = 300;
/** The corp jsapi_ticket and the agent ticket live 7200 s (§7.2). */
export const JSAPI_TICKET_TTL_SECONDS = 7200;
/** get_jsapi_ticket: at most 400 a corp and 100 an app per hour (§7.2; assumed the same for the agent ticket). */
export const JSAPI_TICKETS_PER_HOUR_CORP = 400;
export const JSAPI_TICKETS_PER_HOUR_APP = 100;
/** A ticket is refetched this long before it expires, so a page signed with it never sees it die. */
export const JSAPI_TICKET_REFRESH_MARGIN_SECONDS = 300;

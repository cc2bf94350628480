/**
 * WeCom API paths that Siyu calls through its outbox, where the path is the row's `kind` (the client's
 * methods use the same constants).
 */
const EC = '/cgi-bin/externalcontact';

export const SEND_WELCOME_MSG = `${EC}/send_welcome_msg`;
export const MARK_TAG = `${EC}/mark_tag`;
export const REMARK = `${EC}/remark`;
export const ADD_CORP_TAG = `${EC}/add_corp_tag`;
export const EDIT_CORP_TAG = `${EC}/edit_corp_tag`;
export const DEL_CORP_TAG = `${EC}/del_corp_tag`;
export const ADD_CONTACT_WAY = `${EC}/add_contact_way`;
export const UPDATE_CONTACT_WAY = `${EC}/update_contact_way`;
export const DEL_CONTACT_WAY = `${EC}/del_contact_way`;
export const ADD_MSG_TEMPLATE = `${EC}/add_msg_template`;
export const REMIND_GROUPMSG_SEND = `${EC}/remind_groupmsg_send`;
export const CANCEL_GROUPMSG_SEND = `${EC}/cancel_groupmsg_send`;
/** 发送应用消息: the app writes to members (a task reminder). */
export const MESSAGE_SEND = '/cgi-bin/message/send';
export const ADD_JOIN_WAY = `${EC}/groupchat/add_join_way`;
export const UPDATE_JOIN_WAY = `${EC}/groupchat/update_join_way`;
export const ADD_GROUP_WELCOME_TEMPLATE = `${EC}/group_welcome_template/add`;
export const EDIT_GROUP_WELCOME_TEMPLATE = `${EC}/group_welcome_template/edit`;
/** 在职继承 / 离职继承 of customers and groups (the transfers module). */
export const TRANSFER_CUSTOMER = `${EC}/transfer_customer`;
export const RESIGNED_TRANSFER_CUSTOMER = `${EC}/resigned/transfer_customer`;
export const GROUPCHAT_TRANSFER = `${EC}/groupchat/transfer`;
export const GROUPCHAT_ONJOB_TRANSFER = `${EC}/groupchat/onjob_transfer`;
/** 客户朋友圈: the Moment task (async; its jobid is followed with get_moment_task_result). */
export const ADD_MOMENT_TASK = `${EC}/add_moment_task`;
/** 上传附件资源 (multipart, not through the outbox: the moments module uploads before it queues the task). */
export const UPLOAD_ATTACHMENT = '/cgi-bin/media/upload_attachment';
export const UPLOAD_MEDIA = '/cgi-bin/media/upload';

import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiMessageSend } from './app-messages.ts';
import { apiGetChatData, FINANCE_GET_CHAT_DATA } from './archive.ts';
import {
  apiAddContactWay,
  apiDelContactWay,
  apiGetContactWay,
  apiListContactWay,
  apiUpdateContactWay,
} from './contact-ways.ts';
import {
  apiBatchGetByUser,
  apiGet,
  apiGetFollowUserList,
  apiList,
  apiMarkTag,
  apiRemark,
} from './contacts.ts';
import { authenticate, getToken } from './corps.ts';
import { apiDepartmentList, apiUserGet, apiUserListId } from './directory.ts';
import { errmsg, WecomError } from './errors.ts';
import { apiGroupchatStatistic, apiGroupchatStatisticByDay } from './group-stats.ts';
import { groupWelcomeRoutes } from './group-welcome.ts';
import {
  apiAddJoinWay,
  apiDelJoinWay,
  apiGetJoinWay,
  apiGroupchatGet,
  apiGroupchatList,
  apiUpdateJoinWay,
} from './groups.ts';
import {
  apiAddMsgTemplate,
  apiCancelGroupmsgSend,
  apiGetGroupmsgListV2,
  apiGetGroupmsgSendResult,
  apiGetGroupmsgTask,
  apiRemindGroupmsgSend,
} from './mass-send.ts';
import { apiUploadMedia } from './media.ts';
import type { CorpState } from './model.ts';
import {
  apiAddMomentTask,
  apiGetMomentComments,
  apiGetMomentCustomerList,
  apiGetMomentList,
  apiGetMomentSendResult,
  apiGetMomentTask,
  apiGetMomentTaskResult,
  apiUploadAttachment,
  multipartFile,
} from './moments.ts';
import type { Simulator } from './state.ts';
import { apiAddCorpTag, apiDelCorpTag, apiEditCorpTag, apiGetCorpTagList } from './tags.ts';
import {
  apiGetUnassignedList,
  apiGroupchatTransfer,
  apiTransferCustomer,
  apiTransferResult,
  settleDueTransfers,
} from './transfer.ts';
import { apiSendWelcomeMsg } from './welcome.ts';

/** The WeCom API under /cgi-bin: same paths, shapes and errcodes; every error is HTTP 200 with errcode/errmsg. */

interface ApiContext {
  sim: Simulator;
  corp: CorpState;
  query: Record<string, string | undefined>;
  body: unknown;
}

type ApiHandler = (ctx: ApiContext) => Record<string, unknown>;

const EC = '/cgi-bin/externalcontact';
/** 上传附件资源 (multipart): the route hands the handler the query and a summary of the file. */
const UPLOAD_ATTACHMENT = '/cgi-bin/media/upload_attachment';
/** 上传临时素材 (multipart, `type` in the query): the same summary of the file. */
const UPLOAD_MEDIA = '/cgi-bin/media/upload';

const ROUTES: [method: 'GET' | 'POST', path: string, handler: ApiHandler][] = [
  ['GET', '/cgi-bin/department/list', ({ corp, query }) => apiDepartmentList(corp, query.id)],
  ['POST', '/cgi-bin/user/list_id', ({ corp, body }) => apiUserListId(corp, body)],
  ['GET', '/cgi-bin/user/get', ({ corp, query }) => apiUserGet(corp, query.userid)],
  ['POST', '/cgi-bin/message/send', ({ sim, corp, body }) => apiMessageSend(sim, corp, body)],
  ['GET', `${EC}/get_follow_user_list`, ({ corp }) => apiGetFollowUserList(corp)],
  ['GET', `${EC}/list`, ({ corp, query }) => apiList(corp, query.userid)],
  ['GET', `${EC}/get`, ({ corp, query }) => apiGet(corp, query.external_userid, query.cursor)],
  ['POST', `${EC}/batch/get_by_user`, ({ corp, body }) => apiBatchGetByUser(corp, body)],
  ['POST', `${EC}/remark`, ({ corp, body }) => apiRemark(corp, body)],
  ['POST', `${EC}/get_corp_tag_list`, ({ corp, body }) => apiGetCorpTagList(corp, body)],
  ['POST', `${EC}/add_corp_tag`, ({ sim, corp, body }) => apiAddCorpTag(sim, corp, body)],
  ['POST', `${EC}/edit_corp_tag`, ({ corp, body }) => apiEditCorpTag(corp, body)],
  ['POST', `${EC}/del_corp_tag`, ({ corp, body }) => apiDelCorpTag(corp, body)],
  ['POST', `${EC}/mark_tag`, ({ corp, body }) => apiMarkTag(corp, body)],
  ['POST', `${EC}/add_contact_way`, ({ sim, corp, body }) => apiAddContactWay(sim, corp, body)],
  ['POST', `${EC}/get_contact_way`, ({ corp, body }) => apiGetContactWay(corp, body)],
  ['POST', `${EC}/list_contact_way`, ({ sim, corp, body }) => apiListContactWay(sim, corp, body)],
  ['POST', `${EC}/update_contact_way`, ({ corp, body }) => apiUpdateContactWay(corp, body)],
  ['POST', `${EC}/del_contact_way`, ({ corp, body }) => apiDelContactWay(corp, body)],
  ['POST', `${EC}/send_welcome_msg`, ({ sim, corp, body }) => apiSendWelcomeMsg(sim, corp, body)],
  ['POST', `${EC}/add_msg_template`, ({ sim, corp, body }) => apiAddMsgTemplate(sim, corp, body)],
  ['POST', `${EC}/get_groupmsg_list_v2`, ({ corp, body }) => apiGetGroupmsgListV2(corp, body)],
  ['POST', `${EC}/get_groupmsg_task`, ({ corp, body }) => apiGetGroupmsgTask(corp, body)],
  ['POST', `${EC}/get_groupmsg_send_result`, ({ corp, body }) => apiGetGroupmsgSendResult(corp, body)],
  ['POST', `${EC}/remind_groupmsg_send`, ({ sim, corp, body }) => apiRemindGroupmsgSend(sim, corp, body)],
  ['POST', `${EC}/cancel_groupmsg_send`, ({ sim, corp, body }) => apiCancelGroupmsgSend(sim, corp, body)],
  ['POST', `${EC}/groupchat/list`, ({ corp, body }) => apiGroupchatList(corp, body)],
  ['POST', `${EC}/groupchat/get`, ({ corp, body }) => apiGroupchatGet(corp, body)],
  ['POST', `${EC}/groupchat/add_join_way`, ({ sim, corp, body }) => apiAddJoinWay(sim, corp, body)],
  ['POST', `${EC}/groupchat/get_join_way`, ({ corp, body }) => apiGetJoinWay(corp, body)],
  ['POST', `${EC}/groupchat/update_join_way`, ({ corp, body }) => apiUpdateJoinWay(corp, body)],
  ['POST', `${EC}/groupchat/del_join_way`, ({ corp, body }) => apiDelJoinWay(corp, body)],
  ['POST', `${EC}/groupchat/statistic`, ({ sim, corp, body }) => apiGroupchatStatistic(sim, corp, body)],
  [
    'POST',
    `${EC}/groupchat/statistic_group_by_day`,
    ({ sim, corp, body }) => apiGroupchatStatisticByDay(sim, corp, body),
  ],
  ['POST', `${EC}/transfer_customer`, ({ sim, corp, body }) => apiTransferCustomer(sim, corp, body, 'onjob')],
  ['POST', `${EC}/transfer_result`, ({ sim, corp, body }) => apiTransferResult(sim, corp, body, 'onjob')],
  [
    'POST',
    `${EC}/resigned/transfer_customer`,
    ({ sim, corp, body }) => apiTransferCustomer(sim, corp, body, 'resigned'),
  ],
  [
    'POST',
    `${EC}/resigned/transfer_result`,
    ({ sim, corp, body }) => apiTransferResult(sim, corp, body, 'resigned'),
  ],
  ['POST', `${EC}/get_unassigned_list`, ({ corp, body }) => apiGetUnassignedList(corp, body)],
  [
    'POST',
    `${EC}/groupchat/transfer`,
    ({ sim, corp, body }) => apiGroupchatTransfer(sim, corp, body, 'resigned'),
  ],
  [
    'POST',
    `${EC}/groupchat/onjob_transfer`,
    ({ sim, corp, body }) => apiGroupchatTransfer(sim, corp, body, 'onjob'),
  ],
  ...groupWelcomeRoutes,
  ['POST', UPLOAD_ATTACHMENT, ({ sim, corp, body }) => apiUploadAttachment(sim, corp, body)],
  ['POST', UPLOAD_MEDIA, ({ sim, corp, body }) => apiUploadMedia(sim, corp, body)],
  ['POST', `${EC}/add_moment_task`, ({ sim, corp, body }) => apiAddMomentTask(sim, corp, body)],
  [
    'GET',
    `${EC}/get_moment_task_result`,
    ({ sim, corp, query }) => apiGetMomentTaskResult(sim, corp, query.jobid),
  ],
  ['POST', `${EC}/get_moment_list`, ({ corp, body }) => apiGetMomentList(corp, body)],
  ['POST', `${EC}/get_moment_task`, ({ corp, body }) => apiGetMomentTask(corp, body)],
  ['POST', `${EC}/get_moment_customer_list`, ({ corp, body }) => apiGetMomentCustomerList(corp, body)],
  ['POST', `${EC}/get_moment_send_result`, ({ corp, body }) => apiGetMomentSendResult(corp, body)],
  ['POST', `${EC}/get_moment_comments`, ({ corp, body }) => apiGetMomentComments(corp, body)],
  // not a WeCom HTTP API: the stand-in for the Finance SDK's GetChatData (archive.ts)
  ['POST', FINANCE_GET_CHAT_DATA, ({ corp, body }) => apiGetChatData(corp, body)],
];

/** POST APIs that only read: they are not journaled. */
const READ_ONLY = new Set([
  '/cgi-bin/user/list_id',
  `${EC}/batch/get_by_user`,
  `${EC}/get_corp_tag_list`,
  `${EC}/get_contact_way`,
  `${EC}/list_contact_way`,
  `${EC}/get_groupmsg_list_v2`,
  `${EC}/get_groupmsg_task`,
  `${EC}/get_groupmsg_send_result`,
  `${EC}/groupchat/list`,
  `${EC}/groupchat/get`,
  `${EC}/groupchat/get_join_way`,
  `${EC}/groupchat/statistic`,
  `${EC}/groupchat/statistic_group_by_day`,
  `${EC}/transfer_result`,
  `${EC}/resigned/transfer_result`,
  `${EC}/get_unassigned_list`,
  `${EC}/get_moment_list`,
  `${EC}/get_moment_task`,
  `${EC}/get_moment_customer_list`,
  `${EC}/get_moment_send_result`,
  `${EC}/get_moment_comments`,
  FINANCE_GET_CHAT_DATA,
]);

export const API_PATHS = ['/cgi-bin/gettoken', ...ROUTES.map(([, path]) => path)];

function clientIp(request: FastifyRequest): string {
  return request.ip.replace(/^::ffff:/, '');
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : undefined;
  }
  return out;
}

function parseJsonBody(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new WecomError(47001);
  }
}

const API_OP = 'api';
const TOKEN_OP = 'gettoken';
const HANDLERS = new Map(ROUTES.map(([, path, handler]) => [path, handler]));

/** A WeCom API call that changes state, as one journaled operation (what its route and SimDirect run). */
export function apiCall(
  sim: Simulator,
  corpid: string,
  path: string,
  body: unknown,
): Record<string, unknown> {
  return sim.run(API_OP, { corpid, path, body });
}

export function registerApiRoutes(app: FastifyInstance, sim: Simulator): void {
  sim.defineOp<{ corpid: string; path: string; body: unknown }>(API_OP, ({ corpid, path, body }) => {
    const handler = HANDLERS.get(path);
    if (!handler) throw new Error(`simulator: no API ${path}`);
    return handler({ sim, corp: sim.corp(corpid), query: {}, body });
  });
  sim.defineOp<{ corpid?: string; secret?: string }>(TOKEN_OP, ({ corpid, secret }) =>
    getToken(sim, corpid, secret),
  );

  const fail = (reply: FastifyReply, request: FastifyRequest, err: unknown) => {
    const error = err instanceof WecomError ? err : new WecomError(-1);
    if (!(err instanceof WecomError)) request.log.error({ err }, 'simulator API handler failed');
    const hint = `${sim.nowMs()}${String(randomInt(1e12)).padStart(12, '0')}`;
    return reply.send({
      errcode: error.errcode,
      errmsg: errmsg(error.errcode, error.detail, clientIp(request), hint),
      ...error.extra,
    });
  };

  app.get('/cgi-bin/gettoken', async (request, reply) => {
    const query = queryOf(request);
    const corp = query.corpid ? sim.findCorp(query.corpid) : undefined;
    try {
      if (
        corp &&
        !sim.rateLimiter.take(`${corp.corpid}|gettoken`, corp.limits.rate_per_minute, sim.nowMs())
      ) {
        throw new WecomError(45009);
      }
      const token = sim.run<ReturnType<typeof getToken>>(TOKEN_OP, {
        corpid: query.corpid,
        secret: query.corpsecret,
      });
      if (corp) sim.countApiCall(corp.corpid, '/cgi-bin/gettoken', 0);
      return reply.send({
        errcode: 0,
        errmsg: 'ok',
        access_token: token.access_token,
        expires_in: token.expires_in,
      });
    } catch (err) {
      if (corp)
        sim.countApiCall(corp.corpid, '/cgi-bin/gettoken', err instanceof WecomError ? err.errcode : -1);
      return fail(reply, request, err);
    }
  });

  for (const [method, path, handler] of ROUTES) {
    app.route({
      method,
      url: path,
      handler: async (request, reply) => {
        const query = queryOf(request);
        let corp: CorpState | undefined;
        try {
          corp = authenticate(sim, query.access_token);
          settleDueTransfers(sim, corp);
          if (!sim.rateLimiter.take(`${corp.corpid}|${path}`, corp.limits.rate_per_minute, sim.nowMs())) {
            throw new WecomError(45009);
          }
          const body =
            path === UPLOAD_MEDIA
              ? {
                  type: query.type,
                  file: Buffer.isBuffer(request.body)
                    ? multipartFile(request.body, request.headers['content-type'])
                    : null,
                }
              : path === UPLOAD_ATTACHMENT
                ? {
                    media_type: query.media_type,
                    attachment_type: query.attachment_type,
                    file: Buffer.isBuffer(request.body)
                      ? multipartFile(request.body, request.headers['content-type'])
                      : null,
                  }
                : method === 'POST'
                  ? parseJsonBody(request.body)
                  : undefined;
          const result =
            method === 'POST' && !READ_ONLY.has(path)
              ? apiCall(sim, corp.corpid, path, body)
              : handler({ sim, corp, query, body });
          sim.countApiCall(corp.corpid, path, 0);
          if (sim.takeDroppedAnswer(corp.corpid, path)) {
            // the call is done (and journaled); its answer never reaches the caller
            reply.hijack();
            reply.raw.destroy();
            return;
          }
          return reply.send({ errcode: 0, errmsg: 'ok', ...result });
        } catch (err) {
          if (corp) sim.countApiCall(corp.corpid, path, err instanceof WecomError ? err.errcode : -1);
          return fail(reply, request, err);
        }
      },
    });
  }
}

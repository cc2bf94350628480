import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { appMessagesOf } from './app-messages.ts';
import { isManualClock } from './clock.ts';
import { contactWayOut, scanContactWay } from './contact-ways.ts';
import {
  createCustomer,
  customerDeletesMember,
  customerList,
  customerOr404,
  customerSendsMessage,
  customerView,
  memberAddsCustomer,
  memberDeletesCustomer,
  memberEditsContact,
} from './contacts.ts';
import { createCorp, deleteCorp, revokeTokens, updateCorp } from './corps.ts';
import {
  activeMembers,
  createDepartment,
  createMember,
  deleteDepartment,
  deleteMember,
  memberOr404,
  updateDepartment,
  updateMember,
} from './directory.ts';
import { SimError } from './errors.ts';
import { groupMessage } from './group-stats.ts';
import {
  changeGroupNotice,
  changeGroupOwner,
  dismissGroup,
  groupList,
  groupOr404View,
  joinGroup,
  leaveGroup,
  memberCreatesGroup,
  renameGroup,
} from './groups.ts';
import {
  massSendList,
  massSendView,
  memberConfirmsMassSend,
  memberIgnoresMassSend,
  memberSendsPersonalMassSend,
  receiveCap,
} from './mass-send.ts';
import { messagesOf } from './messages.ts';
import type { CorpState } from './model.ts';
import {
  customerReactsToMoment,
  memberPublishesMoment,
  momentList,
  momentScenarioSchemas,
} from './moments.ts';
import { POPULATION_KINDS, type Populations } from './population.ts';
import { verifyCallbackUrl } from './push.ts';
import type { Simulator } from './state.ts';
import { adminCreateTags, adminDeleteTags, adminEditTag, tagView } from './tags.ts';
import { customerRefusesTransfer, settleDueTransfers, takeoverOverLimit, transferList } from './transfer.ts';

/** The control API under /sim: drive user-side scenarios and inspect state. JSON in, JSON out, 4xx on errors. */

/* ---------- schemas ---------- */

const id = z.string().min(1).max(128);
const userid = z.string().min(1).max(64);
const tagIds = z.array(id);
const limits = z.strictObject({
  receive_cap_per_month: z.number().int().min(0).nullable().optional(),
  rate_per_minute: z.number().int().min(1).optional(),
});
const corpFields = {
  name: z.string().min(1).max(64),
  secret: z.string().min(1).max(256),
  token: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'token: 1 to 32 letters or digits'),
  encoding_aes_key: z.string().regex(/^[A-Za-z0-9+/]{43}$/, 'encoding_aes_key: 43 base64 characters'),
  agentid: z.number().int().min(0),
  callback_url: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
  limits: limits.optional(),
};
const corpCreate = z.strictObject({
  corpid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'corpid: 1 to 64 letters, digits, - or _'),
  ...corpFields,
});
const corpUpdate = z.strictObject({
  name: corpFields.name.optional(),
  secret: corpFields.secret.optional(),
  token: corpFields.token.optional(),
  encoding_aes_key: corpFields.encoding_aes_key.optional(),
  agentid: corpFields.agentid.optional(),
  callback_url: corpFields.callback_url,
  limits: limits.optional(),
});

/** A test's fault: the next `times` calls to the API at `path` act, then their answer is lost. */
const dropAnswers = z.strictObject({
  path: z
    .string()
    .regex(
      /^\/cgi-bin\/[a-z_/]{1,100}$/,
      'path: a WeCom API path, e.g. /cgi-bin/externalcontact/add_moment_task',
    ),
  times: z.number().int().min(0).max(100).default(1),
});

const departmentCreate = z.strictObject({
  id: z.number().int().min(2).optional(),
  name: z.string().min(1).max(64),
  name_en: z.string().max(64).optional(),
  parentid: z.number().int().min(1),
  order: z.number().int().min(0).optional(),
});
const departmentUpdate = departmentCreate.omit({ id: true }).partial();

const memberStatus = z.union([z.literal(1), z.literal(2), z.literal(4)]);
const memberCreate = z.strictObject({
  userid: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'userid: 1 to 64 letters, digits, _ . @ -'),
  name: z.string().min(1).max(64),
  department: z.array(z.number().int().min(1)).min(1).max(100),
  main_department: z.number().int().min(1).optional(),
  position: z.string().max(128).optional(),
  mobile: z.string().max(32).optional(),
  gender: z.enum(['0', '1', '2']).optional(),
  email: z.string().max(64).optional(),
  alias: z.string().max(64).optional(),
  avatar: z.string().max(512).optional(),
  status: memberStatus.optional(),
});
const memberUpdate = memberCreate.omit({ userid: true }).partial();

const customerCreate = z.strictObject({
  name: z.string().min(1).max(64),
  gender: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  unionid: z.string().max(64).optional(),
  avatar: z.string().max(512).optional(),
  type: z.union([z.literal(1), z.literal(2)]).optional(),
  corp_name: z.string().max(64).optional(),
  position: z.string().max(64).optional(),
});

const follow = { userid, external_userid: id };
const scenarioSchemas = {
  'scan-contact-way': z.strictObject({ config_id: id, external_userid: id }),
  'member-adds-customer': z.strictObject({
    ...follow,
    add_way: z.number().int().min(0).max(202).optional(),
    state: z.string().max(64).optional(),
  }),
  'customer-deletes-member': z.strictObject(follow),
  'member-deletes-customer': z.strictObject(follow),
  'member-edits-contact': z.strictObject({
    ...follow,
    remark: z.string().max(20).optional(),
    description: z.string().max(150).optional(),
    remark_mobiles: z.array(z.string().max(32)).optional(),
    add_tag: tagIds.optional(),
    remove_tag: tagIds.optional(),
  }),
  'admin-create-tags': z.strictObject({
    group_id: id.optional(),
    group_name: z.string().min(1).max(30).optional(),
    order: z.number().int().min(0).optional(),
    tag: z
      .array(z.strictObject({ name: z.string().min(1).max(30), order: z.number().int().min(0).optional() }))
      .min(1),
  }),
  'admin-edit-tag': z.strictObject({
    id,
    name: z.string().min(1).max(30).optional(),
    order: z.number().int().min(0).optional(),
  }),
  'admin-delete-tags': z.strictObject({ tag_id: tagIds.optional(), group_id: tagIds.optional() }),
  'member-creates-group': z.strictObject({
    owner: userid,
    name: z.string().max(64).optional(),
    notice: z.string().max(1000).optional(),
    member_userids: z.array(userid).optional(),
    external_userids: z.array(id).optional(),
    admin_userids: z.array(userid).optional(),
  }),
  'join-group': z.strictObject({
    chat_id: id.optional(),
    config_id: id.optional(),
    external_userid: id.optional(),
    userid: userid.optional(),
    via: z.enum(['qr', 'invite', 'link']).optional(),
    invitor: userid.optional(),
  }),
  'leave-group': z.strictObject({
    chat_id: id,
    external_userid: id.optional(),
    userid: userid.optional(),
    removed_by: userid.optional(),
  }),
  'rename-group': z.strictObject({ chat_id: id, name: z.string().max(64) }),
  'change-group-notice': z.strictObject({ chat_id: id, notice: z.string().max(1000) }),
  'change-group-owner': z.strictObject({ chat_id: id, new_owner: userid }),
  'dismiss-group': z.strictObject({ chat_id: id }),
  'group-message': z.strictObject({
    chat_id: id,
    userid: userid.optional(),
    external_userid: id.optional(),
    content: z.string().min(1).max(4000),
  }),
  'customer-sends-message': z.strictObject({
    ...follow,
    content: z.string().min(1).max(4000),
    msgtype: z.string().max(32).optional(),
  }),
  'member-confirms-mass-send': z.strictObject({
    msgid: id,
    userid,
    external_userids: z.array(id).max(10_000).optional(),
  }),
  'member-ignores-mass-send': z.strictObject({ msgid: id, userid }),
  'member-sends-personal-mass-send': z.strictObject({
    userid,
    external_userids: z.array(id).min(1).max(10_000),
    content: z.string().min(1).max(4000),
  }),
  'customer-refuses-transfer': z.strictObject({ external_userid: id }),
  'takeover-over-limit': z.strictObject({ external_userid: id }),
  ...momentScenarioSchemas,
} as const;

type ScenarioName = keyof typeof scenarioSchemas;
type ScenarioInput<N extends ScenarioName> = z.infer<(typeof scenarioSchemas)[N]>;

const scenarioHandlers: {
  [N in ScenarioName]: (sim: Simulator, corp: CorpState, input: ScenarioInput<N>) => unknown;
} = {
  'scan-contact-way': scanContactWay,
  'member-adds-customer': memberAddsCustomer,
  'customer-deletes-member': customerDeletesMember,
  'member-deletes-customer': memberDeletesCustomer,
  'member-edits-contact': memberEditsContact,
  'admin-create-tags': adminCreateTags,
  'admin-edit-tag': adminEditTag,
  'admin-delete-tags': adminDeleteTags,
  'member-creates-group': memberCreatesGroup,
  'join-group': joinGroup,
  'leave-group': leaveGroup,
  'rename-group': renameGroup,
  'change-group-notice': changeGroupNotice,
  'change-group-owner': changeGroupOwner,
  'dismiss-group': dismissGroup,
  'group-message': groupMessage,
  'customer-sends-message': customerSendsMessage,
  'member-confirms-mass-send': memberConfirmsMassSend,
  'member-ignores-mass-send': memberIgnoresMassSend,
  'member-sends-personal-mass-send': memberSendsPersonalMassSend,
  'customer-refuses-transfer': customerRefusesTransfer,
  'takeover-over-limit': takeoverOverLimit,
  'member-publishes-moment': memberPublishesMoment,
  'customer-reacts-to-moment': customerReactsToMoment,
};

export const SCENARIOS = Object.keys(scenarioSchemas) as ScenarioName[];

const mix = z.strictObject(
  Object.fromEntries(POPULATION_KINDS.map((k) => [k, z.number().min(0).optional()])),
);
const massSendBehaviour = {
  mass_send_confirm_rate: z.number().min(0).max(1).optional(),
  mass_send_delay_s: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional(),
};
const populationStart = z.strictObject({
  rate_per_minute: z.number().positive().max(600_000),
  duration_s: z.number().positive().optional(),
  mix: mix.optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  ...massSendBehaviour,
});
const populationSteps = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  mix: mix.optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  ...massSendBehaviour,
});

const clockMove = z
  .strictObject({ advance_ms: z.number().int().optional(), set: z.iso.datetime({ offset: true }).optional() })
  .refine((v) => (v.advance_ms === undefined) !== (v.set === undefined), 'give advance_ms or set');

const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed', 'no_callback_url', 'cancelled']).optional(),
  change_type: z.string().optional(),
  event: z.string().optional(),
  since_id: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
const messagesQuery = z.object({
  external_userid: z.string().optional(),
  userid: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const appMessagesQuery = z.strictObject({
  userid: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/* ---------- plumbing ---------- */

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new SimError(400, 'invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function jsonBody(request: FastifyRequest): unknown {
  const raw = request.body;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new SimError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

interface Req {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

function corpView(sim: Simulator, corp: CorpState) {
  const { cap, month } = receiveCap(corp, sim.nowMs());
  return {
    corpid: corp.corpid,
    name: corp.name,
    secret: corp.secret,
    token: corp.token,
    encoding_aes_key: corp.encoding_aes_key,
    agentid: corp.agentid,
    callback_url: corp.callback_url,
    limits: corp.limits,
    effective_receive_cap: { month, cap },
    created_at: corp.created_at,
    counts: {
      departments: corp.departments.length,
      members: activeMembers(corp).length,
      customers: Object.keys(corp.customers).length,
      follows: Object.values(corp.follows).reduce((n, f) => n + f.length, 0),
      tag_groups: corp.tag_groups.length,
      tags: corp.tag_groups.reduce((n, g) => n + g.tags.length, 0),
      contact_ways: Object.keys(corp.contact_ways).length,
      groups: Object.values(corp.groups).filter((g) => !g.dismissed).length,
      join_ways: Object.keys(corp.join_ways).length,
      mass_sends: Object.keys(corp.mass_sends).length,
      messages: corp.messages.length,
    },
  };
}

const CONTROL_OP = 'control';

/**
 * A control-API request performed in process, as its route performs it: one journaled operation. `route` is
 * the method and path pattern, e.g. `POST /corps/:corpid/scenarios/:name`.
 */
export function controlCall(
  sim: Simulator,
  route: string,
  params: Record<string, string>,
  body: unknown = {},
): unknown {
  return sim.run(CONTROL_OP, { route, params, query: {}, body });
}

export function registerControlRoutes(app: FastifyInstance, sim: Simulator, populations: Populations): void {
  const changes = new Map<string, (req: Req) => unknown>();
  sim.defineOp<Req & { route: string }>(CONTROL_OP, ({ route, ...req }) => {
    const handler = changes.get(route);
    if (!handler) throw new Error(`simulator: no control route ${route}`);
    return handler(req);
  });

  /**
   * Every request but a GET changes state, and runs as a journaled operation; `journaled: false` for those
   * that change nothing (or, like the population runner, journal their changes themselves).
   */
  const route = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    handler: (req: Req) => unknown | Promise<unknown>,
    status = 200,
    journaled = method !== 'GET',
  ) => {
    const key = `${method} ${url}`;
    if (journaled) changes.set(key, handler);
    app.route({
      method,
      url: `/sim${url}`,
      handler: async (request, reply) => {
        const req: Req = {
          params: request.params as Record<string, string>,
          query: request.query as Record<string, unknown>,
          body: method === 'GET' || method === 'DELETE' ? {} : jsonBody(request),
        };
        const result = journaled ? sim.run(CONTROL_OP, { route: key, ...req }) : await handler(req);
        return reply.status(status).send(result ?? {});
      },
    });
  };

  /** The corp, with due transfers settled first. */
  const corpOf = (req: Req): CorpState => {
    const corp = sim.corp(req.params.corpid!);
    settleDueTransfers(sim, corp);
    return corp;
  };

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof SimError) {
      return reply.status(err.status).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'simulator control request failed');
    return reply.status(status).send({
      error: {
        code: status >= 500 ? 'internal' : 'bad_request',
        message: err instanceof Error ? err.message : String(err),
      },
    });
  });

  /* health and clock */
  route('GET', '/health', () => ({
    ok: true,
    corps: Object.keys(sim.state.corps).length,
    now: sim.clock.now().toISOString(),
  }));
  route('GET', '/clock', () => ({ now: sim.clock.now().toISOString(), manual: isManualClock(sim.clock) }));
  route(
    'POST',
    '/clock',
    ({ body }) => {
      const input = parse(clockMove, body, 'body');
      if (!isManualClock(sim.clock))
        throw new SimError(409, 'clock_not_manual', 'the simulator runs on the system clock');
      if (input.advance_ms !== undefined) sim.clock.advance(input.advance_ms);
      if (input.set !== undefined) sim.clock.set(input.set);
      return { now: sim.clock.now().toISOString(), manual: true };
    },
    200,
    false,
  );

  /* corps */
  route('GET', '/corps', () => ({ corps: Object.values(sim.state.corps).map((c) => corpView(sim, c)) }));
  route('POST', '/corps', ({ body }) => corpView(sim, createCorp(sim, parse(corpCreate, body, 'body'))), 201);
  route('GET', '/corps/:corpid', (req) => corpView(sim, corpOf(req)));
  route('PATCH', '/corps/:corpid', (req) =>
    corpView(sim, updateCorp(sim, corpOf(req).corpid, parse(corpUpdate, req.body, 'body'))),
  );
  route('DELETE', '/corps/:corpid', (req) => {
    populations.stop(corpOf(req).corpid);
    deleteCorp(sim, req.params.corpid!);
    return { deleted: true };
  });
  route(
    'POST',
    '/corps/:corpid/faults/drop-answers',
    (req) => {
      const corp = corpOf(req);
      const input = parse(dropAnswers, req.body, 'body');
      sim.droppedAnswers.set(`${corp.corpid}|${input.path}`, input.times);
      return { path: input.path, times: input.times };
    },
    200,
    false,
  );
  route('POST', '/corps/:corpid/revoke-tokens', (req) => ({
    revoked: revokeTokens(sim, corpOf(req).corpid),
  }));
  route(
    'POST',
    '/corps/:corpid/verify-callback',
    async (req) => {
      const corp = corpOf(req);
      const input = parse(
        z.strictObject({ url: z.url({ protocol: /^https?$/ }).optional() }),
        req.body,
        'body',
      );
      const url = input.url ?? corp.callback_url;
      if (!url) throw new SimError(409, 'no_callback_url', `corp ${corp.corpid} has no callback URL`);
      return verifyCallbackUrl({ ...corp, url }, sim.nowS());
    },
    200,
    false,
  );

  /* directory */
  route('GET', '/corps/:corpid/departments', (req) => ({ departments: corpOf(req).departments }));
  route(
    'POST',
    '/corps/:corpid/departments',
    (req) => createDepartment(corpOf(req), parse(departmentCreate, req.body, 'body')),
    201,
  );
  route('PATCH', '/corps/:corpid/departments/:id', (req) =>
    updateDepartment(corpOf(req), Number(req.params.id), parse(departmentUpdate, req.body, 'body')),
  );
  route('DELETE', '/corps/:corpid/departments/:id', (req) => {
    deleteDepartment(corpOf(req), Number(req.params.id));
    return { deleted: true };
  });
  route('GET', '/corps/:corpid/members', (req) => ({ members: activeMembers(corpOf(req)) }));
  route(
    'POST',
    '/corps/:corpid/members',
    (req) => createMember(sim, corpOf(req), parse(memberCreate, req.body, 'body')),
    201,
  );
  route('GET', '/corps/:corpid/members/:userid', (req) => memberOr404(corpOf(req), req.params.userid!));
  route('PATCH', '/corps/:corpid/members/:userid', (req) =>
    updateMember(corpOf(req), req.params.userid!, parse(memberUpdate, req.body, 'body')),
  );
  route('DELETE', '/corps/:corpid/members/:userid', (req) => {
    deleteMember(sim, corpOf(req), req.params.userid!);
    return { deleted: true, resigned: true };
  });

  /* customers */
  route(
    'POST',
    '/corps/:corpid/customers',
    (req) => createCustomer(sim, corpOf(req), parse(customerCreate, req.body, 'body')),
    201,
  );
  route('GET', '/corps/:corpid/customers', (req) => {
    const q = parse(pageQuery, req.query, 'query');
    return customerList(corpOf(req), q.offset ?? 0, q.limit ?? 100);
  });
  route('GET', '/corps/:corpid/customers/:external_userid', (req) =>
    customerView(corpOf(req), req.params.external_userid!),
  );
  route('GET', '/corps/:corpid/customers/:external_userid/welcomes', (req) => {
    const corp = corpOf(req);
    customerOr404(corp, req.params.external_userid!);
    return { welcomes: corp.welcomes.filter((w) => w.external_userid === req.params.external_userid) };
  });

  /* scenarios */
  route('POST', '/corps/:corpid/scenarios/:name', (req) => {
    const name = req.params.name as ScenarioName;
    if (!Object.hasOwn(scenarioSchemas, name)) {
      throw new SimError(404, 'unknown_scenario', `unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
    }
    const corp = corpOf(req);
    const input = parse(scenarioSchemas[name], req.body, 'body');
    const result = (scenarioHandlers[name] as (s: Simulator, c: CorpState, i: unknown) => unknown)(
      sim,
      corp,
      input,
    );
    sim.countScenario(corp.corpid, name);
    return result;
  });

  /* inspection */
  route('GET', '/corps/:corpid/tags', (req) => ({ tag_groups: tagView(corpOf(req)) }));
  route('GET', '/corps/:corpid/contact-ways', (req) => ({
    contact_ways: Object.values(corpOf(req).contact_ways).map((w) => ({
      ...contactWayOut(w),
      create_time: w.create_time,
    })),
  }));
  route('GET', '/corps/:corpid/join-ways', (req) => ({ join_ways: Object.values(corpOf(req).join_ways) }));
  route('GET', '/corps/:corpid/groups', (req) => ({
    groups: groupList(
      corpOf(req),
      req.query.include_dismissed === '1' || req.query.include_dismissed === 'true',
    ),
  }));
  route('GET', '/corps/:corpid/groups/:chat_id', (req) => groupOr404View(corpOf(req), req.params.chat_id!));
  route('GET', '/corps/:corpid/moments', (req) => ({ moments: momentList(corpOf(req)) }));
  route('GET', '/corps/:corpid/mass-sends', (req) => ({ mass_sends: massSendList(corpOf(req)) }));
  route('GET', '/corps/:corpid/mass-sends/:msgid', (req) => massSendView(corpOf(req), req.params.msgid!));
  route('GET', '/corps/:corpid/transfers', (req) => ({ transfers: transferList(corpOf(req)) }));
  route('GET', '/corps/:corpid/welcomes', (req) => {
    const corp = corpOf(req);
    const ext = typeof req.query.external_userid === 'string' ? req.query.external_userid : undefined;
    return { welcomes: corp.welcomes.filter((w) => !ext || w.external_userid === ext) };
  });
  route('GET', '/corps/:corpid/messages', (req) => {
    const q = parse(messagesQuery, req.query, 'query');
    return { messages: messagesOf(corpOf(req), { ...q, limit: q.limit ?? 100 }) };
  });
  route('GET', '/corps/:corpid/app-messages', (req) => {
    const q = parse(appMessagesQuery, req.query, 'query');
    return { messages: appMessagesOf(corpOf(req), { ...q, limit: q.limit ?? 100 }) };
  });
  route('GET', '/corps/:corpid/deliveries', (req) => {
    const corp = corpOf(req);
    const q = parse(deliveriesQuery, req.query, 'query');
    const log = sim.pusher.log(corp.corpid);
    const matching = log.filter(
      (d) =>
        (!q.status || d.status === q.status) &&
        (!q.change_type || d.change_type === q.change_type) &&
        (!q.event || d.event === q.event) &&
        (q.since_id === undefined || d.id > q.since_id),
    );
    return {
      total: matching.length,
      summary: deliverySummary(log),
      deliveries: matching.slice(-(q.limit ?? 100)),
    };
  });
  route('GET', '/corps/:corpid/counters', (req) => {
    const corp = corpOf(req);
    return { ...sim.countersOf(corp.corpid), deliveries: deliverySummary(sim.pusher.log(corp.corpid)) };
  });

  /* population */
  route(
    'POST',
    '/corps/:corpid/population',
    (req) => populations.start(corpOf(req).corpid, parse(populationStart, req.body, 'body')),
    200,
    false,
  );
  route(
    'POST',
    '/corps/:corpid/population/steps',
    (req) => {
      const input = parse(populationSteps, req.body, 'body');
      return populations.steps(corpOf(req).corpid, input.count, input);
    },
    200,
    false,
  );
  route('GET', '/corps/:corpid/population', (req) => {
    const runner = populations.get(corpOf(req).corpid);
    if (!runner) throw new SimError(404, 'not_found', `no population runner for corp ${req.params.corpid}`);
    return runner.progress();
  });
  route(
    'DELETE',
    '/corps/:corpid/population',
    (req) => {
      const progress = populations.stop(corpOf(req).corpid);
      if (!progress)
        throw new SimError(404, 'not_found', `no population runner for corp ${req.params.corpid}`);
      return progress;
    },
    200,
    false,
  );
}

function deliverySummary(log: readonly { status: string; attempts: unknown[] }[]) {
  const summary = {
    total: log.length,
    pending: 0,
    delivered: 0,
    failed: 0,
    no_callback_url: 0,
    cancelled: 0,
    attempts: 0,
  };
  for (const d of log) {
    summary[d.status as keyof typeof summary]++;
    summary.attempts += d.attempts.length;
  }
  return summary;
}

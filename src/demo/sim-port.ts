import { apiCall } from '../simulator/api-routes.ts';
import type { scanContactWay } from '../simulator/contact-ways.ts';
import type {
  CustomerInput,
  customerDeletesMember,
  memberAddsCustomer,
  memberDeletesCustomer,
  memberEditsContact,
} from '../simulator/contacts.ts';
import { controlCall } from '../simulator/control-routes.ts';
import type { CorpInput } from '../simulator/corps.ts';
import type { DepartmentInput, MemberInput } from '../simulator/directory.ts';
import type { groupMessage } from '../simulator/group-stats.ts';
import type { joinGroup, leaveGroup, memberCreatesGroup } from '../simulator/groups.ts';
import type { Simulator } from '../simulator/state.ts';
import type { adminCreateTags } from '../simulator/tags.ts';
import type { ShiftableClock } from './shift-clock.ts';

/**
 * How the demo drives the WeCom side: the simulator's control API over HTTP (its documented interface), or,
 * when the simulator runs in this process, the same requests performed in process, as its routes perform
 * them (due transfers settled first, the change journaled). Both push the same callbacks; the direct way
 * skips HTTP and is an order of magnitude faster for the thousands of steps of a brand's history.
 */

interface Scenarios {
  'member-adds-customer': typeof memberAddsCustomer;
  'member-edits-contact': typeof memberEditsContact;
  'customer-deletes-member': typeof customerDeletesMember;
  'member-deletes-customer': typeof memberDeletesCustomer;
  'admin-create-tags': typeof adminCreateTags;
  'member-creates-group': typeof memberCreatesGroup;
  'join-group': typeof joinGroup;
  'leave-group': typeof leaveGroup;
  'scan-contact-way': typeof scanContactWay;
  'group-message': typeof groupMessage;
}
export type ScenarioName = keyof Scenarios;
export type ScenarioInput<N extends ScenarioName> = Parameters<Scenarios[N]>[2];
export type ScenarioResult<N extends ScenarioName> = ReturnType<Scenarios[N]>;

export interface TransferInput {
  handover_userid: string;
  takeover_userid: string;
  external_userid: string[];
}

export interface WecomSide {
  readonly corpid: string;
  /** Operations performed so far (HTTP requests, or direct calls). */
  readonly operations: number;
  createCorp(input: CorpInput): Promise<void>;
  createDepartment(input: DepartmentInput): Promise<number>;
  updateDepartment(id: number, patch: Partial<Omit<DepartmentInput, 'id'>>): Promise<void>;
  createMember(input: MemberInput): Promise<void>;
  /** A resignation: the member leaves, their customers wait for 离职继承. */
  deleteMember(userid: string): Promise<void>;
  /** A WeChat user, not yet anyone's customer; returns the external_userid. */
  createCustomer(input: CustomerInput): Promise<string>;
  scenario<N extends ScenarioName>(name: N, input: ScenarioInput<N>): Promise<ScenarioResult<N>>;
  /** externalcontact/resigned/transfer_customer, as the brand's admin tool calls it. */
  transferResigned(
    input: TransferInput,
  ): Promise<{ customer: { external_userid: string; errcode: number }[] }>;
}

// biome-ignore lint/suspicious/noExplicitAny: control-API answers are read field by field
export type Json = any;

/** The simulator over HTTP: the control API for the corp, and the WeCom API with an access_token. */
export class SimHttp implements WecomSide {
  operations = 0;
  private token: { value: string; until: number } | null = null;

  constructor(
    readonly baseUrl: string,
    readonly corpid: string,
    private readonly secret: string,
    private readonly clock: ShiftableClock,
  ) {}

  async sim(method: string, path: string, body?: unknown): Promise<Json> {
    this.operations++;
    const send = () =>
      fetch(`${this.baseUrl}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    // After minutes without a call (the orders phase on a busy machine) the kept-alive connection may have
    // been closed by the simulator just as it is reused: the reset comes before any request was read, so
    // the call is sent once more, on a new connection.
    const res = await send().catch((err: unknown) => {
      if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNRESET') return send();
      throw err;
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`simulator ${method} ${path} → HTTP ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** A control-API call for the corp: `path` is relative to /sim/corps/:corpid. */
  corp(method: string, path: string, body?: unknown): Promise<Json> {
    return this.sim(method, `/sim/corps/${this.corpid}${path}`, body);
  }

  async createCorp(input: CorpInput): Promise<void> {
    await this.sim('POST', '/sim/corps', input);
  }

  async createDepartment(input: DepartmentInput): Promise<number> {
    return (await this.corp('POST', '/departments', input)).id;
  }

  async updateDepartment(id: number, patch: Partial<Omit<DepartmentInput, 'id'>>): Promise<void> {
    await this.corp('PATCH', `/departments/${id}`, patch);
  }

  async createMember(input: MemberInput): Promise<void> {
    await this.corp('POST', '/members', input);
  }

  async deleteMember(userid: string): Promise<void> {
    await this.corp('DELETE', `/members/${encodeURIComponent(userid)}`);
  }

  async createCustomer(input: CustomerInput): Promise<string> {
    return (await this.corp('POST', '/customers', input)).external_userid;
  }

  scenario<N extends ScenarioName>(name: N, input: ScenarioInput<N>): Promise<ScenarioResult<N>> {
    return this.corp('POST', `/scenarios/${name}`, input);
  }

  transferResigned(input: TransferInput) {
    return this.api('/cgi-bin/externalcontact/resigned/transfer_customer', input);
  }

  /** A WeCom API call (POST JSON) with an access_token fetched on the simulator's clock. */
  async api(path: string, body: unknown): Promise<Json> {
    const now = this.clock.now().getTime();
    if (!this.token || this.token.until <= now) {
      this.operations++;
      const query = new URLSearchParams({ corpid: this.corpid, corpsecret: this.secret });
      const got = (await (await fetch(`${this.baseUrl}/cgi-bin/gettoken?${query}`)).json()) as Json;
      if (got.errcode) throw new Error(`simulator WeCom API gettoken → ${got.errcode} ${got.errmsg}`);
      this.token = { value: got.access_token, until: now + (got.expires_in - 300) * 1000 };
    }
    this.operations++;
    const res = await fetch(`${this.baseUrl}${path}?access_token=${encodeURIComponent(this.token.value)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    if (json.errcode) throw new Error(`simulator WeCom API ${path} → ${json.errcode} ${json.errmsg}`);
    return json;
  }
}

/**
 * The same operations on an in-process Simulator: each is the control-API request (or WeCom API call) its
 * HTTP twin makes, performed in process as the route performs it, journaled like it.
 */
export class SimDirect implements WecomSide {
  operations = 0;

  constructor(
    private readonly sim: Simulator,
    readonly corpid: string,
  ) {}

  private control<T>(route: string, params: Record<string, string> = {}, body?: unknown): T {
    this.operations++;
    return controlCall(this.sim, route, { corpid: this.corpid, ...params }, body) as T;
  }

  async createCorp(input: CorpInput): Promise<void> {
    this.control('POST /corps', {}, input);
  }

  async createDepartment(input: DepartmentInput): Promise<number> {
    return this.control<{ id: number }>('POST /corps/:corpid/departments', {}, input).id;
  }

  async updateDepartment(id: number, patch: Partial<Omit<DepartmentInput, 'id'>>): Promise<void> {
    this.control('PATCH /corps/:corpid/departments/:id', { id: String(id) }, patch);
  }

  async createMember(input: MemberInput): Promise<void> {
    this.control('POST /corps/:corpid/members', {}, input);
  }

  async deleteMember(userid: string): Promise<void> {
    this.control('DELETE /corps/:corpid/members/:userid', { userid });
  }

  async createCustomer(input: CustomerInput): Promise<string> {
    return this.control<{ external_userid: string }>('POST /corps/:corpid/customers', {}, input)
      .external_userid;
  }

  async scenario<N extends ScenarioName>(name: N, input: ScenarioInput<N>): Promise<ScenarioResult<N>> {
    return this.control<ScenarioResult<N>>('POST /corps/:corpid/scenarios/:name', { name }, input);
  }

  async transferResigned(input: TransferInput) {
    this.operations++;
    const path = '/cgi-bin/externalcontact/resigned/transfer_customer';
    const result = apiCall(this.sim, this.corpid, path, input) as {
      customer: { external_userid: string; errcode: number }[];
    };
    this.sim.countApiCall(this.corpid, path, 0);
    return result;
  }
}

import { z } from 'zod';
import { int, page, parseApi } from './api-input.ts';
import { badRequest, conflict, notFound, WecomError } from './errors.ts';
import type { CorpState, Department, Member } from './model.ts';
import type { Simulator } from './state.ts';

/* ---------- lookups shared by the other domain modules ---------- */

/** A member who has not resigned. */
export function activeMember(corp: CorpState, userid: string): Member | undefined {
  const member = Object.hasOwn(corp.members, userid) ? corp.members[userid] : undefined;
  return member && member.resigned_at === null ? member : undefined;
}

/** WeCom API: the member or 60111. */
export function requireMember(corp: CorpState, userid: string): Member {
  const member = activeMember(corp, userid);
  if (!member) throw new WecomError(60111, `userid ${userid} not found`);
  return member;
}

/** Control API: the member or 404. */
export function memberOr404(corp: CorpState, userid: string): Member {
  const member = activeMember(corp, userid);
  if (!member) throw notFound('member', userid);
  return member;
}

export function activeMembers(corp: CorpState): Member[] {
  return Object.values(corp.members).filter((m) => m.resigned_at === null);
}

/** Members of the departments and their sub-departments. */
export function membersOfParties(corp: CorpState, party: number[]): Member[] {
  const ids = new Set<number>();
  for (const id of party) for (const d of subtree(corp, id)) ids.add(d.id);
  return activeMembers(corp).filter((m) => m.department.some((d) => ids.has(d)));
}

function subtree(corp: CorpState, rootId: number): Department[] {
  const root = corp.departments.find((d) => d.id === rootId);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const d of corp.departments) if (d.parentid === out[i]!.id) out.push(d);
  }
  return out;
}

/* ---------- control API ---------- */

export interface DepartmentInput {
  id?: number;
  name: string;
  name_en?: string;
  parentid: number;
  order?: number;
}

export function createDepartment(corp: CorpState, input: DepartmentInput): Department {
  if (!corp.departments.some((d) => d.id === input.parentid)) {
    throw badRequest('invalid_parent', `parent department ${input.parentid} not found`);
  }
  const id = input.id ?? Math.max(0, ...corp.departments.map((d) => d.id)) + 1;
  if (corp.departments.some((d) => d.id === id))
    throw conflict('department_exists', `department ${id} exists`);
  const department: Department = {
    id,
    name: input.name,
    name_en: input.name_en ?? '',
    parentid: input.parentid,
    order: input.order ?? 0,
    department_leader: [],
  };
  corp.departments.push(department);
  return department;
}

export function updateDepartment(
  corp: CorpState,
  id: number,
  patch: Partial<Omit<DepartmentInput, 'id'>>,
): Department {
  const department = corp.departments.find((d) => d.id === id);
  if (!department) throw notFound('department', id);
  if (patch.parentid !== undefined) {
    if (id === 1) throw badRequest('invalid_parent', 'the root department has no parent');
    if (
      subtree(corp, id).some((d) => d.id === patch.parentid) ||
      !corp.departments.some((d) => d.id === patch.parentid)
    ) {
      throw badRequest('invalid_parent', `department ${patch.parentid} cannot be the parent`);
    }
    department.parentid = patch.parentid;
  }
  if (patch.name !== undefined) department.name = patch.name;
  if (patch.name_en !== undefined) department.name_en = patch.name_en;
  if (patch.order !== undefined) department.order = patch.order;
  return department;
}

export function deleteDepartment(corp: CorpState, id: number): void {
  const index = corp.departments.findIndex((d) => d.id === id);
  if (index < 0) throw notFound('department', id);
  if (id === 1) throw conflict('root_department', 'the root department cannot be deleted');
  if (corp.departments.some((d) => d.parentid === id)) {
    throw conflict('department_not_empty', `department ${id} has sub-departments`);
  }
  if (activeMembers(corp).some((m) => m.department.includes(id))) {
    throw conflict('department_not_empty', `department ${id} has members`);
  }
  corp.departments.splice(index, 1);
}

export interface MemberInput {
  userid: string;
  name: string;
  department: number[];
  main_department?: number;
  position?: string;
  mobile?: string;
  gender?: '0' | '1' | '2';
  email?: string;
  alias?: string;
  avatar?: string;
  status?: 1 | 2 | 4;
}

function checkDepartments(corp: CorpState, department: number[]): void {
  for (const id of department) {
    if (!corp.departments.some((d) => d.id === id))
      throw badRequest('invalid_department', `department ${id} not found`);
  }
}

export function createMember(sim: Simulator, corp: CorpState, input: MemberInput): Member {
  if (activeMember(corp, input.userid))
    throw conflict('member_exists', `member ${input.userid} already exists`);
  checkDepartments(corp, input.department);
  const member: Member = {
    userid: input.userid,
    name: input.name,
    department: input.department,
    main_department: input.main_department ?? input.department[0] ?? 1,
    position: input.position ?? '',
    mobile: input.mobile ?? '',
    gender: input.gender ?? '0',
    email: input.email ?? '',
    alias: input.alias ?? '',
    avatar: input.avatar ?? sim.ids.avatar(input.name),
    status: input.status ?? 1,
    resigned_at: null,
  };
  corp.members[member.userid] = member;
  return member;
}

export function updateMember(
  corp: CorpState,
  userid: string,
  patch: Partial<Omit<MemberInput, 'userid'>>,
): Member {
  const member = memberOr404(corp, userid);
  if (patch.department !== undefined) {
    checkDepartments(corp, patch.department);
    member.department = patch.department;
    if (!patch.department.includes(member.main_department)) member.main_department = patch.department[0] ?? 1;
  }
  if (patch.main_department !== undefined) member.main_department = patch.main_department;
  if (patch.name !== undefined) member.name = patch.name;
  if (patch.position !== undefined) member.position = patch.position;
  if (patch.mobile !== undefined) member.mobile = patch.mobile;
  if (patch.gender !== undefined) member.gender = patch.gender;
  if (patch.email !== undefined) member.email = patch.email;
  if (patch.alias !== undefined) member.alias = patch.alias;
  if (patch.avatar !== undefined) member.avatar = patch.avatar;
  if (patch.status !== undefined) member.status = patch.status;
  return member;
}

/**
 * Deleting a member is a resignation: the member leaves the directory, their customers wait in
 * get_unassigned_list and the groups they own become 离职待继承 until transferred.
 */
export function deleteMember(sim: Simulator, corp: CorpState, userid: string): void {
  const member = memberOr404(corp, userid);
  member.resigned_at = sim.nowS();
  member.status = 5;
  for (const group of Object.values(corp.groups)) {
    if (group.owner === userid && !group.dismissed) group.status = 1;
  }
}

/* ---------- WeCom API ---------- */

export function apiDepartmentList(corp: CorpState, id: string | undefined) {
  if (id === undefined || id === '') return { department: corp.departments.map(departmentOut) };
  const departments = subtree(corp, Number(id));
  if (departments.length === 0) throw new WecomError(60123);
  return { department: departments.map(departmentOut) };
}

function departmentOut(d: Department) {
  return {
    id: d.id,
    name: d.name,
    name_en: d.name_en,
    department_leader: d.department_leader,
    parentid: d.parentid,
    order: d.order,
  };
}

const listIdBody = z.object({ cursor: z.string().optional(), limit: int.min(1).max(10000).optional() });

export function apiUserListId(corp: CorpState, body: unknown) {
  const input = parseApi(listIdBody, body);
  const rows = activeMembers(corp).flatMap((m) =>
    m.department.map((department) => ({ userid: m.userid, department })),
  );
  const { items, next_cursor } = page(rows, input.cursor, input.limit ?? 10000);
  return { next_cursor, dept_user: items };
}

export function apiUserGet(corp: CorpState, userid: string | undefined) {
  if (!userid) throw new WecomError(40058, 'missing userid');
  const m = requireMember(corp, userid);
  return {
    userid: m.userid,
    name: m.name,
    department: m.department,
    order: m.department.map(() => 0),
    position: m.position,
    mobile: m.mobile,
    gender: m.gender,
    email: m.email,
    is_leader_in_dept: m.department.map(() => 0),
    direct_leader: [],
    avatar: m.avatar,
    thumb_avatar: m.avatar,
    telephone: '',
    alias: m.alias,
    status: m.status,
    main_department: m.main_department,
    qr_code: `https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=${Buffer.from(m.userid).toString('hex')}`,
    external_position: '',
  };
}

import { z } from 'zod';
import { chars, int, parseApi } from './api-input.ts';
import { badRequest, conflict, notFound, WecomError } from './errors.ts';
import type { CorpState, Creator, Tag, TagGroup } from './model.ts';
import type { Simulator } from './state.ts';

export const CORP_TAG_CAP = 10_000;

export function findTag(corp: CorpState, id: string): { group: TagGroup; tag: Tag } | undefined {
  for (const group of corp.tag_groups) {
    const tag = group.tags.find((t) => t.id === id);
    if (tag) return { group, tag };
  }
  return undefined;
}

export function findGroup(corp: CorpState, id: string): TagGroup | undefined {
  return corp.tag_groups.find((g) => g.group_id === id);
}

function tagCount(corp: CorpState): number {
  return corp.tag_groups.reduce((n, g) => n + g.tags.length, 0);
}

/** Removes deleted tags from every follow. */
function unmarkTags(corp: CorpState, ids: Set<string>): void {
  if (ids.size === 0) return;
  for (const follows of Object.values(corp.follows)) {
    for (const f of follows) f.tag_ids = f.tag_ids.filter((id) => !ids.has(id));
  }
}

/* ---------- shared core (API and console) ---------- */

interface CreateTagsInput {
  group_id?: string;
  group_name?: string;
  order?: number;
  tag: { name: string; order?: number }[];
}

type CreateError = 'unknown_group' | 'missing_group_name' | 'duplicate_name' | 'cap';

function createTags(
  sim: Simulator,
  corp: CorpState,
  input: CreateTagsInput,
  by: Creator,
): { group: TagGroup; created: Tag[]; newGroup: boolean } | { error: CreateError; message: string } {
  let group: TagGroup | undefined;
  if (input.group_id) {
    group = findGroup(corp, input.group_id);
    if (!group) return { error: 'unknown_group', message: `tag group ${input.group_id} not found` };
  } else if (input.group_name !== undefined) {
    group = corp.tag_groups.find((g) => g.group_name === input.group_name);
  } else {
    return { error: 'missing_group_name', message: 'group_id or group_name is required' };
  }
  const names = new Set(group?.tags.map((t) => t.name));
  for (const t of input.tag) {
    if (names.has(t.name))
      return { error: 'duplicate_name', message: `tag ${t.name} already exists in the group` };
    names.add(t.name);
  }
  if (tagCount(corp) + input.tag.length > CORP_TAG_CAP) {
    return { error: 'cap', message: `corp tag count exceed limit ${CORP_TAG_CAP}` };
  }
  const now = sim.nowS();
  const newGroup = !group;
  if (!group) {
    group = {
      group_id: sim.ids.tagId(),
      group_name: input.group_name!,
      create_time: now,
      order: input.order ?? 0,
      created_by: by,
      tags: [],
    };
    corp.tag_groups.push(group);
  }
  const created = input.tag.map((t) => ({
    id: sim.ids.tagId(),
    name: t.name,
    create_time: now,
    order: t.order ?? 0,
    created_by: by,
  }));
  group.tags.push(...created);
  return { group, created, newGroup };
}

function groupOut(group: TagGroup, tags: Tag[]) {
  return {
    group_id: group.group_id,
    group_name: group.group_name,
    create_time: group.create_time,
    order: group.order,
    tag: tags.map((t) => ({ id: t.id, name: t.name, create_time: t.create_time, order: t.order })),
  };
}

const byOrderDesc = <T extends { order: number; create_time: number }>(a: T, b: T) =>
  b.order - a.order || a.create_time - b.create_time;

/* ---------- WeCom API (no callbacks) ---------- */

const listBody = z.object({
  tag_id: z.array(z.string()).optional(),
  group_id: z.array(z.string()).optional(),
});

export function apiGetCorpTagList(corp: CorpState, body: unknown) {
  const input = parseApi(listBody, body);
  let groups = [...corp.tag_groups].sort(byOrderDesc);
  let tagFilter: Set<string> | null = null;
  if (input.group_id?.length) {
    const wanted = new Set(input.group_id);
    groups = groups.filter((g) => wanted.has(g.group_id));
  } else if (input.tag_id?.length) {
    tagFilter = new Set(input.tag_id);
    groups = groups.filter((g) => g.tags.some((t) => tagFilter!.has(t.id)));
  }
  // As the official sample: `deleted` on every group and every tag (API-FACTS §3).
  return {
    tag_group: groups.map((g) => {
      const out = groupOut(g, [...g.tags].filter((t) => !tagFilter || tagFilter.has(t.id)).sort(byOrderDesc));
      return { ...out, tag: out.tag.map((t) => ({ ...t, deleted: false })), deleted: false };
    }),
  };
}

const addBody = z.object({
  group_id: z.string().optional(),
  group_name: chars('group_name', 30).optional(),
  order: int.min(0).optional(),
  tag: z
    .array(z.object({ name: chars('tag.name', 30).pipe(z.string().min(1)), order: int.min(0).optional() }))
    .min(1),
  agentid: int.optional(),
});

export function apiAddCorpTag(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(addBody, body);
  const result = createTags(sim, corp, input, 'api');
  if ('error' in result) {
    const code = { unknown_group: 40068, missing_group_name: 40058, duplicate_name: 40071, cap: 40058 }[
      result.error
    ];
    throw new WecomError(code, code === 40058 ? result.message : undefined);
  }
  return { tag_group: groupOut(result.group, result.created) };
}

const editBody = z.object({
  id: z.string(),
  name: chars('name', 30).optional(),
  order: int.min(0).optional(),
  agentid: int.optional(),
});

export function apiEditCorpTag(corp: CorpState, body: unknown) {
  const input = parseApi(editBody, body);
  const edited = editTag(corp, input);
  if ('error' in edited) throw new WecomError(edited.error === 'unknown' ? 40068 : 40071);
  if (edited.created_by !== 'api') throw new WecomError(301002);
  edited.apply();
  return {};
}

const delBody = z.object({
  tag_id: z.array(z.string()).optional(),
  group_id: z.array(z.string()).optional(),
  agentid: int.optional(),
});

export function apiDelCorpTag(corp: CorpState, body: unknown) {
  const input = parseApi(delBody, body);
  if (!input.tag_id?.length && !input.group_id?.length)
    throw new WecomError(40058, 'missing tag_id or group_id');
  const plan = planDelete(corp, input.tag_id ?? [], input.group_id ?? []);
  if ('unknown' in plan) throw new WecomError(40068);
  if (plan.creators.has('console')) throw new WecomError(301002);
  plan.apply();
  return {};
}

/* ---------- edits shared by the API and the console ---------- */

function editTag(corp: CorpState, input: { id: string; name?: string; order?: number }) {
  const group = findGroup(corp, input.id);
  const found = group ? undefined : findTag(corp, input.id);
  if (!group && !found) return { error: 'unknown' as const };
  if (input.name !== undefined) {
    const clash = group
      ? corp.tag_groups.some((g) => g !== group && g.group_name === input.name)
      : found!.group.tags.some((t) => t !== found!.tag && t.name === input.name);
    if (clash) return { error: 'duplicate' as const };
  }
  const target = group ?? found!.tag;
  return {
    kind: group ? ('tag_group' as const) : ('tag' as const),
    created_by: target.created_by,
    apply() {
      if (group) {
        if (input.name !== undefined) group.group_name = input.name;
        if (input.order !== undefined) group.order = input.order;
      } else {
        if (input.name !== undefined) found!.tag.name = input.name;
        if (input.order !== undefined) found!.tag.order = input.order;
      }
    },
  };
}

function planDelete(corp: CorpState, tagIds: string[], groupIds: string[]) {
  const groups: TagGroup[] = [];
  const tags: { group: TagGroup; tag: Tag }[] = [];
  const creators = new Set<Creator>();
  // As WeCom: with both filters, group_id wins.
  if (groupIds.length) {
    for (const id of groupIds) {
      const g = findGroup(corp, id);
      if (!g) return { unknown: id };
      groups.push(g);
      creators.add(g.created_by);
    }
  } else {
    for (const id of tagIds) {
      const t = findTag(corp, id);
      if (!t) return { unknown: id };
      tags.push(t);
      creators.add(t.tag.created_by);
    }
  }
  return {
    creators,
    apply() {
      const removed = new Set<string>();
      const emptied: TagGroup[] = [];
      for (const g of groups) for (const t of g.tags) removed.add(t.id);
      for (const { group, tag } of tags) {
        removed.add(tag.id);
        group.tags = group.tags.filter((t) => t !== tag);
        if (group.tags.length === 0 && !emptied.includes(group)) emptied.push(group);
      }
      const gone = new Set([...groups, ...emptied]);
      corp.tag_groups = corp.tag_groups.filter((g) => !gone.has(g));
      unmarkTags(corp, removed);
      return { groups, tags: tags.map((t) => t.tag), emptied };
    },
  };
}

/* ---------- the admin edits tags in the WeCom console (→ change_external_tag) ---------- */

export function adminCreateTags(sim: Simulator, corp: CorpState, input: CreateTagsInput) {
  const result = createTags(sim, corp, input, 'console');
  if ('error' in result) {
    if (result.error === 'unknown_group') throw notFound('tag group', input.group_id ?? '');
    if (result.error === 'duplicate_name') throw conflict('duplicate_tag_name', result.message);
    throw badRequest(result.error, result.message);
  }
  if (result.newGroup) {
    sim.emit(corp, 'tags', {
      Event: 'change_external_tag',
      ChangeType: 'create',
      Id: result.group.group_id,
      TagType: 'tag_group',
    });
  } else {
    for (const tag of result.created) {
      sim.emit(corp, 'tags', {
        Event: 'change_external_tag',
        ChangeType: 'create',
        Id: tag.id,
        TagType: 'tag',
      });
    }
  }
  return { tag_group: groupOut(result.group, result.created) };
}

export function adminEditTag(
  sim: Simulator,
  corp: CorpState,
  input: { id: string; name?: string; order?: number },
) {
  const edited = editTag(corp, input);
  if ('error' in edited) {
    if (edited.error === 'unknown') throw notFound('tag or tag group', input.id);
    throw conflict('duplicate_tag_name', `name ${input.name} is already used`);
  }
  edited.apply();
  sim.emit(corp, 'tags', {
    Event: 'change_external_tag',
    ChangeType: 'update',
    Id: input.id,
    TagType: edited.kind,
  });
  return { id: input.id, type: edited.kind };
}

export function adminDeleteTags(
  sim: Simulator,
  corp: CorpState,
  input: { tag_id?: string[]; group_id?: string[] },
) {
  if (!input.tag_id?.length && !input.group_id?.length) {
    throw badRequest('invalid_request', 'tag_id or group_id is required');
  }
  const plan = planDelete(corp, input.tag_id ?? [], input.group_id ?? []);
  if ('unknown' in plan) throw notFound('tag or tag group', plan.unknown ?? '');
  const done = plan.apply();
  // Deleting a group sends one event for the group, none for its tags.
  for (const g of done.groups) {
    sim.emit(corp, 'tags', {
      Event: 'change_external_tag',
      ChangeType: 'delete',
      Id: g.group_id,
      TagType: 'tag_group',
    });
  }
  for (const t of done.tags) {
    sim.emit(corp, 'tags', { Event: 'change_external_tag', ChangeType: 'delete', Id: t.id, TagType: 'tag' });
  }
  for (const g of done.emptied) {
    sim.emit(corp, 'tags', {
      Event: 'change_external_tag',
      ChangeType: 'delete',
      Id: g.group_id,
      TagType: 'tag_group',
    });
  }
  return { deleted_groups: done.groups.length + done.emptied.length, deleted_tags: done.tags.length };
}

export function tagView(corp: CorpState) {
  return corp.tag_groups.map((g) => ({ ...groupOut(g, g.tags), created_by: g.created_by }));
}

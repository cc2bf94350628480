import { type Body, client, type Reply, unwrap } from '../../shared/api/client';

export type TagGroup = Reply<'/api/v1/tags', 'get'>['groups'][number];
export type TagAudience = TagGroup['audience'];
/** A corp tag's or group's sync with WeCom: on its way, done, refused (with WeCom's error), or Siyu only. */
export type TagSyncState = Pick<TagGroup, 'sync' | 'syncError'>;
export type TagSyncFailure = Reply<'/api/v1/tags/sync-failures', 'get'>['items'][number];
export type TagRuleInput = Body<'/api/v1/tag-rules', 'post'>;
export type TagRuleKind = TagRuleInput['kind'];
type TagRules = Reply<'/api/v1/tag-rules', 'get'>;
/** A rule's kind with its condition, as its input states them (the stored condition has the defaults filled in). */
type TagRuleCondition = TagRuleInput extends infer I
  ? I extends { kind: infer K; condition: infer C }
    ? { kind: K; condition: Required<C> }
    : never
  : never;
export type TagRule = Omit<TagRules['rules'][number], 'kind' | 'condition'> & TagRuleCondition;
export type ChannelTagsRow = TagRules['channelTags'][number];

export const tagsApi = {
  tags: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/tags', { signal })),
  /** hq_admin only: the latest corp tag changes WeCom refused. */
  tagSyncFailures: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/tags/sync-failures', { signal })),
  createTagGroup: (input: Body<'/api/v1/tag-groups', 'post'>) =>
    unwrap(client.POST('/api/v1/tag-groups', { body: input })),
  updateTagGroup: (id: number, input: Body<'/api/v1/tag-groups/{id}', 'patch'>) =>
    unwrap(client.PATCH('/api/v1/tag-groups/{id}', { params: { path: { id } }, body: input })),
  deleteTagGroup: (id: number) =>
    unwrap(client.DELETE('/api/v1/tag-groups/{id}', { params: { path: { id } } })),
  addTags: (groupId: number, names: string[]) =>
    unwrap(
      client.POST('/api/v1/tag-groups/{id}/tags', { params: { path: { id: groupId } }, body: { names } }),
    ),
  reorderTagGroups: (ids: number[]) => unwrap(client.PUT('/api/v1/tag-groups/order', { body: { ids } })),
  reorderTags: (groupId: number, ids: number[]) =>
    unwrap(
      client.PUT('/api/v1/tag-groups/{id}/tag-order', { params: { path: { id: groupId } }, body: { ids } }),
    ),
  renameTag: (id: number, name: string) =>
    unwrap(client.PATCH('/api/v1/tags/{id}', { params: { path: { id } }, body: { name } })),
  deleteTag: (id: number) => unwrap(client.DELETE('/api/v1/tags/{id}', { params: { path: { id } } })),
  /** Adds and removes tags on a customer (within the caller's tag view); WeCom gets them by mark_tag. */
  editCustomerTags: (customerId: number, input: Body<'/api/v1/customers/{id}/tags', 'post'>) =>
    unwrap(client.POST('/api/v1/customers/{id}/tags', { params: { path: { id: customerId } }, body: input })),
  /** Managers: the auto-tag rules, and the channels that tag their own adds. */
  tagRules: async (signal?: AbortSignal) =>
    (await unwrap(client.GET('/api/v1/tag-rules', { signal }))) as Omit<TagRules, 'rules'> & {
      rules: TagRule[];
    },
  createTagRule: (input: TagRuleInput) => unwrap(client.POST('/api/v1/tag-rules', { body: input })),
  updateTagRule: (id: number, input: TagRuleInput) =>
    unwrap(client.PUT('/api/v1/tag-rules/{id}', { params: { path: { id } }, body: input })),
  deleteTagRule: (id: number) =>
    unwrap(client.DELETE('/api/v1/tag-rules/{id}', { params: { path: { id } } })),
};

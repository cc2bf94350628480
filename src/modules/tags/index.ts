export {
  AUDIENCES,
  type Audience,
  assertTagsVisible,
  audiencesOf,
  hiddenTagIds,
  timelineTagFilter,
  visibleTagIds,
} from './audience.ts';
export { listTagGroups } from './service.ts';
export { removeGroups, removeTags, syncCorpTags, type WecomTagGroup } from './sync.ts';

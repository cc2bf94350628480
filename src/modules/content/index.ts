export {
  attachMedia,
  fetchMediaSource,
  forgetMedia,
  MEDIA_ERROR_PREFIX,
  MEDIA_KEY,
  MEDIA_REUSE_MARGIN_MS,
  MEDIA_TTL_MS,
  MediaError,
  SAMPLE_MEDIA_BASE,
  type SourceFetch,
  uploadToWecom,
} from './media.ts';
export {
  type AttachmentInput,
  type ContentKind,
  KINDS,
  type MediaUpload,
  type RenderedMessage,
  renderContent,
  SCENES,
} from './rules.ts';
export {
  type ContentItem,
  type ContentUse,
  contentByKey,
  createContent,
  FOLLOWING_DAYS,
  getContent,
  recordContentUse,
  recordContentUses,
  type Usage,
} from './service.ts';
export {
  fillTemplate,
  placeholdersOf,
  SAMPLE_VARS,
  VARIABLE_NAMES,
  VARIABLES,
  type VariableName,
  type Vars,
} from './variables.ts';

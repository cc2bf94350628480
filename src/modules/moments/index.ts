export { followPosts, MOMENTS_JOB, publishDue } from './publish.ts';
export { createPost, listPosts, type PostInput, saveMedia } from './service.ts';

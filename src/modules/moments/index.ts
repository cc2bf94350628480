export { MOMENTS_JOB } from './publish.ts';
export { createPost, listPosts, type PostInput } from './service.ts';

export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';

export { changeGroupOwners } from './owner.ts';
export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';

export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';
export { changeGroupOwners } from './owner.ts';

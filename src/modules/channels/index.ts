export type { ChannelMethod, Linkage, WelcomeTemplate, WorkingHours } from './schema.ts';
export { CHANNEL_METHODS, type ChannelInput, createChannel, visibleChannels } from './service.ts';

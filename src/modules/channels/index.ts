export type { ChannelMethod, Linkage, WelcomeTemplate, WorkingHours } from './schema.ts';
export { CHANNEL_METHODS, type ChannelInput, createChannel, setLinkage, visibleChannels } from './service.ts';

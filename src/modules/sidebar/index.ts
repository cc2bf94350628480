export { jsSdkUrlOf, OAUTH_ERRORS } from './oauth.ts';
export { signPage, ticketOf } from './tickets.ts';

import { type Body, client, type Reply, unwrap } from '../../shared/api/client';

export type JsSdk = Reply<'/api/v1/sidebar/jssdk', 'get'>;
export type ContactCard = Reply<'/api/v1/sidebar/contacts/{externalUserid}', 'get'>;
export type Recommendation = ContactCard['recommendations'][number];
export type GroupCard = Reply<'/api/v1/sidebar/groups/{chatId}', 'get'>;
export type Send = Reply<'/api/v1/sidebar/customers/{id}/sends', 'post'>;

export const sidebarApi = {
  myCard: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/staff/me/card', { signal })),
  jssdk: (url: string) => unwrap(client.GET('/api/v1/sidebar/jssdk', { params: { query: { url } } })),
  contact: (externalUserid: string, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/sidebar/contacts/{externalUserid}', {
        params: { path: { externalUserid } },
        signal,
      }),
    ),
  group: (chatId: string, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/sidebar/groups/{chatId}', { params: { path: { chatId } }, signal })),
  startSend: (customerId: number, contentId: number) =>
    unwrap(
      client.POST('/api/v1/sidebar/customers/{id}/sends', {
        params: { path: { id: customerId } },
        body: { contentId },
      }),
    ),
  cancelSend: (touchId: number) =>
    unwrap(client.POST('/api/v1/sidebar/sends/{touchId}/cancel', { params: { path: { touchId } } })),
  addNote: (customerId: number, body: Body<'/api/v1/sidebar/customers/{id}/notes', 'post'>) =>
    unwrap(
      client.POST('/api/v1/sidebar/customers/{id}/notes', {
        params: { path: { id: customerId } },
        body,
      }),
    ),
};

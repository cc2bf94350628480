import {
  ApiError,
  type Body,
  client,
  type Query,
  type Reply,
  setCsrfToken,
  unwrap,
} from '../../shared/api/client';

export type Session = Reply<'/api/v1/auth/me', 'get'>;
export type Me = Session['account'];
export type Role = Me['role'];

export const accountsApi = {
  async login(login: string, password: string): Promise<Session> {
    const session = await unwrap(client.POST('/api/v1/auth/login', { body: { login, password } }));
    setCsrfToken(session.csrfToken);
    return session;
  },
  async logout(): Promise<void> {
    try {
      await client.POST('/api/v1/auth/logout');
    } finally {
      setCsrfToken(null);
    }
  },
  /** The current session, or null when not signed in. */
  async me(): Promise<Session | null> {
    try {
      const session = await unwrap(client.GET('/api/v1/auth/me'));
      setCsrfToken(session.csrfToken);
      return session;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
};

export type AccountQuery = Query<'/api/v1/accounts', 'get'>;
export type Account = Reply<'/api/v1/accounts', 'get'>['items'][number];
export type NewAccount = Body<'/api/v1/accounts', 'post'>;
export type AccountChange = Body<'/api/v1/accounts/{id}', 'patch'>;
export type Credential = NonNullable<NewAccount['credential']>;
/** A password or a one-time link: in the answer that made it only, never again. */
export type Issued = Reply<'/api/v1/accounts', 'post', 201>['issued'];

/** 人员与权限: the logins of the caller's subtree (managers), and the one-time link's page (no session). */
export const peopleApi = {
  list: (query: AccountQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/accounts', { params: { query }, signal })),
  create: (body: NewAccount) => unwrap(client.POST('/api/v1/accounts', { body })),
  update: (id: number, body: AccountChange) =>
    unwrap(client.PATCH('/api/v1/accounts/{id}', { params: { path: { id } }, body })),
  disable: (id: number) => unwrap(client.POST('/api/v1/accounts/{id}/disable', { params: { path: { id } } })),
  enable: (id: number) => unwrap(client.POST('/api/v1/accounts/{id}/enable', { params: { path: { id } } })),
  resetPassword: (id: number, mode: Credential) =>
    unwrap(client.POST('/api/v1/accounts/{id}/reset-password', { params: { path: { id } }, body: { mode } })),
  /** Sets the password with a one-time link's token (from the link's fragment). */
  setPasswordByLink: (token: string, password: string) =>
    unwrap(client.POST('/api/v1/auth/password-reset', { body: { token, password } })),
};

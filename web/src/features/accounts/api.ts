import { ApiError, client, type Reply, setCsrfToken, unwrap } from '../../shared/api/client';

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

import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { setUnauthorizedHandler } from '../../shared/api/client';
import { accountsApi, type Me } from './api';

type AuthState =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'anonymous'; expired: boolean }
  | { status: 'signed-in'; me: Me };

interface AuthContextValue {
  state: AuthState;
  login(login: string, password: string): Promise<Me>;
  logout(): Promise<void>;
  reload(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** Holds who is signed in: probes /auth/me on load and drops the session on any 401. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-runs the probe on reload().
  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    accountsApi.me().then(
      (session) => {
        if (!live) return;
        setState(
          session ? { status: 'signed-in', me: session.account } : { status: 'anonymous', expired: false },
        );
      },
      (error: unknown) => {
        if (live)
          setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  useEffect(() => {
    setUnauthorizedHandler(() => setState({ status: 'anonymous', expired: true }));
    return () => setUnauthorizedHandler(null);
  }, []);

  const login = useCallback(async (login: string, password: string) => {
    const session = await accountsApi.login(login, password);
    setState({ status: 'signed-in', me: session.account });
    return session.account;
  }, []);

  const logout = useCallback(async () => {
    try {
      await accountsApi.logout();
    } finally {
      setState({ status: 'anonymous', expired: false });
    }
  }, []);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  const value = useMemo(() => ({ state, login, logout, reload }), [state, login, logout, reload]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The signed-in account; only for pages rendered inside the authenticated shell. */
export function useMe(): Me {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useMe without a session');
  return state.me;
}

import { useCallback, useEffect, useState } from 'react';
import { isAbort } from './api/client';

export interface AsyncState<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  reload(): void;
}

/** Runs `load` whenever `key` changes (or on reload), aborting the previous run. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, key: string): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names everything `load` depends on.
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    load(ctrl.signal).then(
      (value) => {
        if (ctrl.signal.aborted) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (ctrl.signal.aborted || isAbort(err)) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data, error, loading, reload };
}

function readStack(storageKey: string, key: string): (string | null)[] {
  try {
    const raw = window.sessionStorage.getItem(storageKey);
    if (!raw) return [null];
    const saved = JSON.parse(raw) as { key?: string; stack?: (string | null)[] };
    if (saved.key === key && Array.isArray(saved.stack) && saved.stack.length > 0) return saved.stack;
  } catch {
    // unreadable: start at the first page
  }
  return [null];
}

export interface CursorPages<T> {
  items: T[];
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  loading: boolean;
  error: Error | null;
  next(): void;
  prev(): void;
  reload(): void;
}

/**
 * Cursor pagination with a stack of the cursors already visited, so "previous" works too. The stack is
 * kept in sessionStorage under `storageKey` for the same `key` (filters), so coming back to a list
 * (e.g. from a customer profile) returns to the same page.
 */
export function useCursorPages<P extends { items: unknown[]; nextCursor: string | null }>(
  fetchPage: (cursor: string | null, signal: AbortSignal) => Promise<P>,
  key: string,
  storageKey: string,
): CursorPages<P['items'][number]> & { data: P | undefined } {
  const [stack, setStack] = useState<{ key: string; cursors: (string | null)[] }>(() => ({
    key,
    cursors: readStack(storageKey, key),
  }));
  const cursors = stack.key === key ? stack.cursors : [null];
  if (stack.key !== key) setStack({ key, cursors: [null] });

  const cursor = cursors[cursors.length - 1] ?? null;
  const state = useAsync(
    (signal) => fetchPage(cursor, signal),
    `${key}\u0000${cursors.length}\u0000${cursor}`,
  );

  useEffect(() => {
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify({ key, stack: cursors }));
    } catch {
      // storage unavailable: pages are not remembered
    }
  }, [storageKey, key, cursors]);

  const nextCursor = state.data?.nextCursor ?? null;
  const next = useCallback(() => {
    if (!nextCursor) return;
    setStack((s) => ({ key: s.key, cursors: [...s.cursors, nextCursor] }));
  }, [nextCursor]);
  const prev = useCallback(() => {
    setStack((s) => (s.cursors.length > 1 ? { key: s.key, cursors: s.cursors.slice(0, -1) } : s));
  }, []);

  return {
    data: state.data,
    items: (state.data?.items ?? []) as P['items'][number][],
    page: cursors.length,
    hasPrev: cursors.length > 1,
    hasNext: Boolean(nextCursor) && !state.loading,
    loading: state.loading,
    error: state.error,
    next,
    prev,
    reload: state.reload,
  };
}

/** Drops the remembered list pages (on sign-out: the next account starts on page 1). */
export function forgetListPages() {
  try {
    for (const key of Object.keys(window.sessionStorage)) {
      if (key.startsWith('siyu.pages.')) window.sessionStorage.removeItem(key);
    }
  } catch {
    // storage unavailable
  }
}

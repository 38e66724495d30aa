import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export const POLL_MS = 2000;

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Fetch again now (after an action), without waiting for the next poll. */
  refresh(): void;
}

/**
 * Runs `load` now and then every 2 s until the page goes away; a new poll starts only after the last
 * one answered, so a slow API never piles requests up. Live updates need no manual refresh.
 */
export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [nudge, setNudge] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught instanceof ApiError ? caught : new ApiError(0, 'ClientError', caught instanceof Error ? caught.message : String(caught)));
      }
      setLoading(false);
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
    // `load` is read through a ref: a new closure on every render must not restart the polling.
  }, [...deps, nudge]);

  const refresh = useCallback(() => setNudge((n) => n + 1), []);
  return { data, error, loading, refresh };
}

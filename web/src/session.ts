import { createContext, useContext } from 'react';
import type { Principal } from './api';

/**
 * The token lives in sessionStorage only: it is gone when the tab closes and never shared with other
 * tabs or written to disk by the page.
 */
const KEY = 'codedance.token';

export const storedToken = (): string | null => sessionStorage.getItem(KEY);
export const storeToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);

export interface Session extends Principal {
  token: string;
  logout(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a logged-in page');
  return session;
}

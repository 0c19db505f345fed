import { createKb4Client, type Kb4Client } from '@kb4/client';
import { createContext, useContext, type ReactNode } from 'react';
import { describeFailure, FailureError, unreachable } from './failure';

/** The key lives in this tab's sessionStorage only: never in a URL, never rendered, gone when the tab closes. */
const STORAGE_KEY = 'kb4-console.api-key';

export interface Session {
  /** Kept for the live-event stream's Authorization header; never shown. */
  readonly apiKey: string;
  readonly client: Kb4Client;
}

export function sessionFor(apiKey: string): Session {
  return { apiKey, client: createKb4Client({ baseUrl: window.location.origin, apiKey }) };
}

export function restoreSession(): Session | null {
  const apiKey = window.sessionStorage.getItem(STORAGE_KEY);
  return apiKey ? sessionFor(apiKey) : null;
}

export function rememberSession(session: Session): void {
  window.sessionStorage.setItem(STORAGE_KEY, session.apiKey);
}

export function forgetSession(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

export function useClient(): Kb4Client {
  return useSession().client;
}

interface ClientResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; anything else becomes a FailureError with words and the request id. */
export async function call<T>(request: Promise<ClientResult<T>>): Promise<T> {
  let result: ClientResult<T>;
  try {
    result = await request;
  } catch {
    throw new FailureError(unreachable());
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new FailureError(describeFailure(result.response.status, result.error, result.response.headers.get('x-request-id')));
  }
  return result.data as T;
}

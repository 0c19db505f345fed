import { EventStreamContentType, fetchEventSource } from '@microsoft/fetch-event-source';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState } from 'react';
import { useSession } from '../api/session';
import { parseLiveChange, staleKeysOf, type LiveChange } from './live-change';

export type LiveState = 'connecting' | 'live' | 'offline';

class RetriableStreamError extends Error {}

/**
 * One stream per tab from GET /events/stream, read with fetch so the key travels in the Authorization header (an
 * EventSource could only put it in the URL). Each change marks the queries it affects stale; on (re)connect every
 * query is re-read, so nothing missed while offline stays on screen.
 */
export function useLiveEvents(onChange?: (change: LiveChange) => void): LiveState {
  const { apiKey } = useSession();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    const abort = new AbortController();
    void fetchEventSource('/events/stream', {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: abort.signal,
      openWhenHidden: true,
      onopen: async (response) => {
        if (response.ok && response.headers.get('content-type')?.startsWith(EventStreamContentType)) return;
        setState('offline');
        // a refused key will not be accepted on retry
        if (response.status === 401 || response.status === 403) throw new Error(`live events refused (${response.status})`);
        throw new RetriableStreamError(`live events answered ${response.status}`);
      },
      onmessage: (message) => {
        if (message.event === 'ready') {
          setState('live');
          void queryClient.invalidateQueries();
          return;
        }
        const change = message.event === 'change' ? parseLiveChange(message.data) : null;
        if (!change) return;
        for (const key of staleKeysOf(change)) void queryClient.invalidateQueries({ queryKey: key });
        onChange?.(change);
      },
      onclose: () => {
        setState('connecting');
        throw new RetriableStreamError('live events closed');
      },
      onerror: (error) => {
        setState('offline');
        if (!(error instanceof RetriableStreamError) && error instanceof Error && /refused/.test(error.message)) throw error;
        return 3_000;
      },
    }).catch(() => setState('offline'));
    return () => abort.abort();
  }, [apiKey, queryClient, onChange]);
  return state;
}

const LABEL: Record<LiveState, string> = { connecting: 'Live updates: connecting', live: 'Live updates: on', offline: 'Live updates: off (retrying)' };

export function LiveStatus({ state }: { state: LiveState }) {
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite" data-live-state={state}>
      {LABEL[state]}
    </span>
  );
}

const LiveContext = createContext<LiveState>('connecting');
export const LiveStateProvider = LiveContext.Provider;
/** Screens poll only while the stream is not live. */
export function useLiveState(): LiveState {
  return useContext(LiveContext);
}

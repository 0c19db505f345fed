import { useQuery } from '@tanstack/react-query';
import { call, useClient } from '../api/session';
import { useLiveState } from '../live/live-events';
import { ErrorNotice, StatusBadge } from './notices';

const FINISHED = new Set(['succeeded', 'failed']);

/** An accepted write (202) until it finishes: updated by live events, polled only while they are off. */
export function OperationProgress({ operationId, what }: { operationId: string; what: string }) {
  const client = useClient();
  const live = useLiveState();
  const operation = useQuery({
    queryKey: ['operation', operationId],
    queryFn: () => call(client.GET('/operations/{id}', { params: { path: { id: operationId } } })),
    refetchInterval: (query) => (live === 'live' || FINISHED.has(query.state.data?.status ?? '') ? false : 2_000),
  });
  const status = operation.data?.status ?? 'queued';
  const error = operation.data?.error as { message?: string } | null | undefined;
  return (
    <div className="operation" role="status" aria-live="polite" data-operation-id={operationId} data-operation-status={status}>
      {what}: <StatusBadge status={status} />
      {status === 'failed' && error?.message ? <span> — KnowBe4 said: {error.message}</span> : null}
      <ErrorNotice error={operation.error} what="Reading the operation" />
    </div>
  );
}

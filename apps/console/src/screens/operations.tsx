import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { keys, type Operation } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatTime, Loading, StatusBadge } from '../ui/notices';

type StatusFilter = 'failed' | 'queued' | 'running' | 'succeeded';

/** Provisioning operations of every tenant, failed ones first, each failed one retryable. */
export function Operations() {
  const client = useClient();
  const [status, setStatus] = useState<StatusFilter>('failed');
  const list = useQuery({
    queryKey: [...keys.operations, status],
    queryFn: () => call(client.GET('/operations', { params: { query: { status, limit: 50 } } })),
  });
  const accounts = useQuery({ queryKey: keys.accounts, queryFn: () => call(client.GET('/integrated-accounts', { params: { query: { limit: 100 } } })) });
  const labels = new Map((accounts.data?.result ?? []).map((account) => [account.id, account.label]));
  return (
    <section aria-labelledby="operations-title">
      <h1 id="operations-title">Operations</h1>
      <div className="filters">
        <label htmlFor="operation-status">Status</label>
        <select id="operation-status" value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
          <option value="failed">Failed</option>
          <option value="queued">Queued</option>
          <option value="running">Running</option>
          <option value="succeeded">Succeeded</option>
        </select>
      </div>
      <ErrorNotice error={list.error} what="Loading the operations" />
      {list.isPending ? <Loading what="operations" /> : null}
      {list.data && list.data.result.length === 0 ? <p>No {status} operation.</p> : null}
      {list.data && list.data.result.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Type</th>
                <th scope="col">Target</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">Error</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {list.data.result.map((operation) => (
                <OperationRow key={operation.id} operation={operation} tenant={labels.get(operation.integrated_account_id) ?? '—'} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** What an operation was about, from its request as received: the user's email or the group's name, else its path. */
function targetOf(operation: Operation): string {
  const body = (operation.request?.body ?? {}) as Record<string, unknown>;
  for (const field of ['username', 'name']) if (typeof body[field] === 'string') return body[field];
  return operation.request?.path ?? '';
}

function OperationRow({ operation, tenant }: { operation: Operation; tenant: string }) {
  const client = useClient();
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: () => call(client.POST('/operations/{id}/retry', { params: { path: { id: operation.id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.operations }),
  });
  const error = operation.error as { message?: string } | null;
  return (
    <tr>
      <td>{tenant}</td>
      <td>{operation.type}</td>
      <td>{targetOf(operation)}</td>
      <td>
        <StatusBadge status={operation.status} />
      </td>
      <td>{operation.attempts}</td>
      <td>{formatTime(operation.created_at)}</td>
      <td>{error?.message ?? ''}</td>
      <td>
        {operation.status === 'failed' ? (
          <button type="button" className="secondary small" onClick={() => retry.mutate()} disabled={retry.isPending} aria-label={`Retry ${operation.type} ${operation.id}`}>
            Retry
          </button>
        ) : null}
        <ErrorNotice error={retry.error} what="Retrying" />
      </td>
    </tr>
  );
}

import { useQuery } from '@tanstack/react-query';
import { keys } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatCount, formatTime, Loading, StatusBadge } from '../ui/notices';

/** The tenant's recent sync runs; live events refresh them. */
export function SyncRuns({ accountId }: { accountId: string }) {
  const client = useClient();
  const runs = useQuery({
    queryKey: keys.syncRuns(accountId),
    queryFn: () => call(client.GET('/integrated-accounts/{id}/sync-runs', { params: { path: { id: accountId }, query: { limit: 20 } } })),
  });
  return (
    <section aria-labelledby="syncs-title">
      <h2 id="syncs-title">Sync runs</h2>
      <ErrorNotice error={runs.error} what="Loading the sync runs" />
      {runs.isPending ? <Loading what="sync runs" /> : null}
      {runs.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Requests</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.result.map((run) => (
                <tr key={run.id}>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{run.trigger}</td>
                  <td>{formatTime(run.started_at)}</td>
                  <td>{formatTime(run.finished_at)}</td>
                  <td>{formatCount(run.requests)}</td>
                  <td>{run.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { keys, type Account, type AccountDetail } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatCount, formatTime, Loading, StatusBadge } from '../ui/notices';
import { hrefOf } from '../ui/route';

/** Every integrated account of the workspace, one row each, with what a technician checks first. */
export function Tenants() {
  const client = useClient();
  const accounts = useQuery({
    queryKey: keys.accounts,
    queryFn: () => call(client.GET('/integrated-accounts', { params: { query: { limit: 100 } } })),
  });
  return (
    <section aria-labelledby="tenants-title">
      <div className="title-row">
        <h1 id="tenants-title">Tenants</h1>
        <a className="button" href={hrefOf({ name: 'connect' })}>
          Connect a tenant
        </a>
      </div>
      <ErrorNotice error={accounts.error} what="Loading the tenants" />
      {accounts.isPending ? <Loading what="tenants" /> : null}
      {accounts.data && accounts.data.result.length === 0 ? <p>No tenant is connected yet.</p> : null}
      {accounts.data && accounts.data.result.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Integrated KnowBe4 accounts of this workspace</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Region</th>
                <th scope="col">Status</th>
                <th scope="col">Last sync</th>
                <th scope="col">Users active / archived</th>
                <th scope="col">Seats used / free</th>
                <th scope="col">Failed operations</th>
                <th scope="col">KnowBe4 budget left today</th>
              </tr>
            </thead>
            <tbody>
              {accounts.data.result.map((account) => (
                <TenantRow key={account.id} account={account} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function TenantRow({ account }: { account: Account }) {
  const client = useClient();
  const path = { path: { id: account.id } };
  const licenses = useQuery({ queryKey: keys.licenses(account.id), queryFn: () => call(client.GET('/integrated-accounts/{id}/licenses', { params: { ...path, query: { limit: 1 } } })) });
  const lastRun = useQuery({
    queryKey: keys.syncRuns(account.id),
    queryFn: () => call(client.GET('/integrated-accounts/{id}/sync-runs', { params: { ...path, query: { limit: 1 } } })),
  });
  const failed = useQuery({
    queryKey: keys.failedOperations(account.id),
    queryFn: () => call(client.GET('/operations', { params: { query: { integrated_account_id: account.id, status: 'failed', limit: 100 } } })),
  });
  const detail = useQuery({ queryKey: keys.account(account.id), queryFn: () => call(client.GET('/integrated-accounts/{id}', { params: path })) });
  const run = lastRun.data?.result[0];
  const failedCount = failed.data ? `${failed.data.result.length}${failed.data.next_cursor ? '+' : ''}` : '—';
  return (
    <tr>
      <th scope="row">
        <a href={hrefOf({ name: 'tenant', accountId: account.id, tab: 'users' })}>{account.label}</a>
      </th>
      <td>
        <span className="region">{account.region.toUpperCase()}</span>
      </td>
      <td>
        <StatusBadge status={account.status} />
      </td>
      <td>
        {run ? (
          <>
            <StatusBadge status={run.status} /> <span className="muted">{formatTime(run.finished_at ?? run.started_at)}</span>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        {formatCount(licenses.data?.active_users)} / {formatCount(licenses.data?.archived_users)}
      </td>
      <td>
        {formatCount(licenses.data?.seats_used)} / {formatCount(licenses.data?.seats_free)}
      </td>
      <td>{failedCount === '0' ? '0' : <a href={hrefOf({ name: 'operations' })}>{failedCount}</a>}</td>
      <td>{budgetText(detail.data?.knowbe4_budget)}</td>
    </tr>
  );
}

/** "1,738 of 2,050 requests", or what was used when this gateway enforces no daily limit. */
function budgetText(budget: AccountDetail['knowbe4_budget'] | undefined): string {
  if (!budget) return '—';
  if (budget.remaining_today === null || budget.daily_limit === null) return `no daily limit (${formatCount(budget.used_today)} used)`;
  return `${formatCount(budget.remaining_today)} of ${formatCount(budget.daily_limit)} requests`;
}

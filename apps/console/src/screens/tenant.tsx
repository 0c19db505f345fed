import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, Loading, StatusBadge, Success } from '../ui/notices';
import { hrefOf, TENANT_TABS, type TenantTab } from '../ui/route';
import { MappingRules } from './mapping-rules';
import { RosterUpload } from './roster-upload';
import { SyncRuns } from './sync-runs';
import { UserTable } from './user-table';

const TAB_LABELS: Record<TenantTab, string> = { users: 'Users', rules: 'Group mapping rules', roster: 'Roster upload', syncs: 'Sync runs' };

/** One tenant: its users, rules, roster and syncs, with the sync button always at hand. */
export function Tenant({ accountId, tab }: { accountId: string; tab: TenantTab }) {
  const client = useClient();
  const account = useQuery({ queryKey: keys.account(accountId), queryFn: () => call(client.GET('/integrated-accounts/{id}', { params: { path: { id: accountId } } })) });
  return (
    <section aria-labelledby="tenant-title">
      <p className="breadcrumb">
        <a href={hrefOf({ name: 'tenants' })}>Tenants</a> /
      </p>
      <div className="title-row">
        <h1 id="tenant-title">{account.data?.label ?? 'Tenant'}</h1>
        {account.data ? (
          <span>
            <span className="region">{account.data.region.toUpperCase()}</span> <StatusBadge status={account.data.status} />
          </span>
        ) : null}
        <SyncButton accountId={accountId} />
      </div>
      {account.isPending ? <Loading what="the tenant" /> : null}
      <ErrorNotice error={account.error} what="Loading the tenant" />
      {account.data?.status === 'auth_failed' ? (
        <div role="alert" className="notice notice-error">
          KnowBe4 refused this tenant's credentials on the last sync. Syncs are stopped until new credentials are saved.
        </div>
      ) : null}
      <nav aria-label="Tenant sections" className="tabs">
        {TENANT_TABS.map((name) => (
          <a key={name} href={hrefOf({ name: 'tenant', accountId, tab: name })} aria-current={name === tab ? 'page' : undefined}>
            {TAB_LABELS[name]}
          </a>
        ))}
      </nav>
      {tab === 'users' ? <UserTable accountId={accountId} /> : null}
      {tab === 'rules' ? <MappingRules accountId={accountId} /> : null}
      {tab === 'roster' ? <RosterUpload accountId={accountId} /> : null}
      {tab === 'syncs' ? <SyncRuns accountId={accountId} /> : null}
    </section>
  );
}

function SyncButton({ accountId }: { accountId: string }) {
  const client = useClient();
  const queryClient = useQueryClient();
  const sync = useMutation({
    mutationFn: () => call(client.POST('/integrated-accounts/{id}/sync', { params: { path: { id: accountId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.syncRuns(accountId) }),
  });
  return (
    <div className="inline-action">
      <button type="button" onClick={() => sync.mutate()} disabled={sync.isPending}>
        {sync.isPending ? 'Starting…' : 'Sync now'}
      </button>
      {sync.isSuccess ? <Success>Sync started.</Success> : null}
      <ErrorNotice error={sync.error} what="Starting a sync" />
    </div>
  );
}

import { useQuery } from '@tanstack/react-query';
import { keys, type UnifiedUser } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatTime, Loading, StatusBadge } from '../ui/notices';
import { hrefOf } from '../ui/route';
import { EditUser, LifecycleAction } from './user-actions';
import { UserGroups } from './user-groups';
import { UserHistory, UserInsights } from './user-insights';

/** One user: who they are, their groups, and what a technician can change. */
export function UserDetail({ accountId, userId }: { accountId: string; userId: string }) {
  const client = useClient();
  const user = useQuery({
    queryKey: keys.user(accountId, userId),
    queryFn: () => call(client.GET('/unified/user-directory/users/{id}', { params: { path: { id: userId }, query: { integrated_account_id: accountId, truto_ignore_remote_data: true, expand: 'risk,training,phishing' } } })),
  });
  return (
    <section aria-labelledby="user-title">
      <p className="breadcrumb">
        <a href={hrefOf({ name: 'tenants' })}>Tenants</a> / <a href={hrefOf({ name: 'tenant', accountId, tab: 'users' })}>Users</a> /
      </p>
      <h1 id="user-title">{user.data ? user.data.name || user.data.username : 'User'}</h1>
      {user.isPending ? <Loading what="the user" /> : null}
      <ErrorNotice error={user.error} what="Loading the user" />
      {user.data ? (
        <div className="columns">
          <div>
            <UserFacts user={user.data} />
            <LifecycleAction accountId={accountId} user={user.data} />
            <EditUser accountId={accountId} user={user.data} />
          </div>
          <div>
            <UserGroups accountId={accountId} user={user.data} />
            <UserInsights user={user.data} />
            <UserHistory accountId={accountId} userId={userId} />
          </div>
        </div>
      ) : null}
    </section>
  );
}

function UserFacts({ user }: { user: UnifiedUser }) {
  const facts: Array<[string, React.ReactNode]> = [
    ['Status', <StatusBadge key="s" status={user.status === 'inactive' ? 'archived' : user.status} />],
    ['Email', user.username],
    ['Employee number', user.external_id ?? '—'],
    ['Title', user.title ?? '—'],
    ['Department', user.department ?? '—'],
    ['Location', user.location ?? '—'],
    ['Manager', user.manager?.email ?? user.manager?.name ?? '—'],
    ['Last active', formatTime(user.last_active_at)],
    ['Updated', formatTime(user.updated_at)],
  ];
  return (
    <dl className="facts">
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { keys, type UnifiedUser } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, Loading } from '../ui/notices';
import { OperationProgress } from '../ui/operation-progress';

/** The user's groups, with add and remove (each a tracked operation). */
export function UserGroups({ accountId, user }: { accountId: string; user: UnifiedUser }) {
  const client = useClient();
  const groups = useQuery({
    queryKey: [...keys.groups(accountId), 'of', user.id],
    queryFn: () => call(client.GET('/unified/user-directory/users/{id}/groups', { params: { path: { id: user.id }, query: { integrated_account_id: accountId, limit: 100, truto_ignore_remote_data: true } } })),
  });
  const [operation, setOperation] = useState<{ id: string; what: string } | null>(null);
  const remove = useMutation({
    mutationFn: (groupId: string) =>
      call(client.DELETE('/unified/user-directory/groups/{id}/members/{user_id}', { params: { path: { id: groupId, user_id: user.id }, query: { integrated_account_id: accountId } } })),
    onSuccess: (data) => data && 'id' in data && setOperation({ id: data.id, what: 'Removing from the group' }),
  });
  return (
    <section className="panel" aria-labelledby="groups-title">
      <h2 id="groups-title">Groups</h2>
      {groups.isPending ? <Loading what="groups" /> : null}
      <ErrorNotice error={groups.error} what="Loading the groups" />
      <ul className="plain">
        {groups.data?.result.map((group) => (
          <li key={group.id}>
            {group.name}{' '}
            <button type="button" className="secondary small" aria-label={`Remove from ${group.name}`} onClick={() => remove.mutate(group.id)}>
              Remove
            </button>
          </li>
        ))}
        {groups.data?.result.length === 0 ? <li className="muted">In no group.</li> : null}
      </ul>
      <AddToGroup accountId={accountId} user={user} onQueued={(id) => setOperation({ id, what: 'Adding to the group' })} />
      <ErrorNotice error={remove.error} what="Removing from the group" />
      {operation ? <OperationProgress key={operation.id} operationId={operation.id} what={operation.what} /> : null}
    </section>
  );
}

function AddToGroup({ accountId, user, onQueued }: { accountId: string; user: UnifiedUser; onQueued: (operationId: string) => void }) {
  const client = useClient();
  const [groupId, setGroupId] = useState('');
  const all = useQuery({
    queryKey: [...keys.groups(accountId), 'all'],
    queryFn: () => call(client.GET('/unified/user-directory/groups', { params: { query: { integrated_account_id: accountId, limit: 200, truto_ignore_remote_data: true, sort_by: 'name' } } })),
  });
  const add = useMutation({
    mutationFn: () => call(client.POST('/unified/user-directory/groups/{id}/members', { params: { path: { id: groupId }, query: { integrated_account_id: accountId } }, body: { user_ids: [user.id] } })),
    onSuccess: (data) => onQueued(data.id),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (groupId) add.mutate();
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <label htmlFor="add-group">Add to group</label>
      <select id="add-group" value={groupId} onChange={(e) => setGroupId(e.target.value)}>
        <option value="">Choose a group…</option>
        {all.data?.result.map((group) => (
          <option key={group.id} value={group.id}>
            {group.name}
          </option>
        ))}
      </select>
      <button type="submit" disabled={!groupId || add.isPending}>
        Add
      </button>
      <ErrorNotice error={add.error ?? all.error} what="Adding to the group" />
    </form>
  );
}

import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { UnifiedUser } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice } from '../ui/notices';
import { OperationProgress } from '../ui/operation-progress';

/** Archive an active user (KnowBe4 archives, never deletes) or reactivate an archived one. */
export function LifecycleAction({ accountId, user }: { accountId: string; user: UnifiedUser }) {
  const client = useClient();
  const params = { path: { id: user.id }, query: { integrated_account_id: accountId } };
  const archived = user.status === 'inactive';
  const change = useMutation({
    mutationFn: () =>
      archived
        ? call(client.PATCH('/unified/user-directory/users/{id}', { params, body: { status: 'active' } }))
        : call(client.DELETE('/unified/user-directory/users/{id}', { params })),
  });
  const what = archived ? 'Reactivating' : 'Archiving';
  return (
    <div className="panel">
      <button
        type="button"
        className={archived ? '' : 'danger'}
        disabled={change.isPending}
        onClick={() => (archived || window.confirm(`Archive ${user.username}? They keep their history and can be reactivated.`)) && change.mutate()}
      >
        {archived ? 'Reactivate user' : 'Archive user'}
      </button>
      <ErrorNotice error={change.error} what={`${what} the user`} />
      {change.data && 'id' in change.data ? <OperationProgress operationId={change.data.id} what={`${what} the user`} /> : null}
    </div>
  );
}

const EDITABLE = { first_name: 'First name', last_name: 'Last name', title: 'Title', department: 'Department', location: 'Location' } as const;
type Editable = keyof typeof EDITABLE;

/** Edit a few fields; only the changed ones are sent. */
export function EditUser({ accountId, user }: { accountId: string; user: UnifiedUser }) {
  const client = useClient();
  const initial = Object.fromEntries(Object.keys(EDITABLE).map((name) => [name, (user[name as Editable] as string | null | undefined) ?? ''])) as Record<Editable, string>;
  const [form, setForm] = useState(initial);
  const changed = Object.fromEntries(Object.entries(form).filter(([name, value]) => value !== initial[name as Editable]));
  const save = useMutation({
    mutationFn: () => call(client.PATCH('/unified/user-directory/users/{id}', { params: { path: { id: user.id }, query: { integrated_account_id: accountId } }, body: changed })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="panel" aria-labelledby="edit-user-title" onSubmit={submit}>
      <h2 id="edit-user-title">Edit</h2>
      <div className="field-grid">
        {(Object.keys(EDITABLE) as Editable[]).map((name) => (
          <div className="field" key={name}>
            <label htmlFor={`edit-${name}`}>{EDITABLE[name]}</label>
            <input id={`edit-${name}`} value={form[name]} maxLength={256} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
          </div>
        ))}
      </div>
      <button type="submit" disabled={save.isPending || Object.keys(changed).length === 0}>
        Save changes
      </button>
      <ErrorNotice error={save.error} what="Saving the user" />
      {save.data && 'id' in save.data ? <OperationProgress operationId={save.data.id} what="Saving the user" /> : null}
    </form>
  );
}

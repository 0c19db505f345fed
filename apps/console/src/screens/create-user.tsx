import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { call, useClient } from '../api/session';
import { ErrorNotice } from '../ui/notices';
import { OperationProgress } from '../ui/operation-progress';

/** A joiner: POST /users answers 202 with the operation, which is then followed live. */
export function CreateUser({ accountId }: { accountId: string }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ first_name: '', last_name: '', username: '', department: '' });
  const create = useMutation({
    mutationFn: () =>
      call(
        client.POST('/unified/user-directory/users', {
          params: { query: { integrated_account_id: accountId } },
          body: { ...form, ...(form.department ? {} : { department: undefined }) },
        }),
      ),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New user
      </button>
    );
  }
  const field = (name: keyof typeof form, label: string, type = 'text', required = true) => (
    <div className="field">
      <label htmlFor={`new-${name}`}>{label}</label>
      <input id={`new-${name}`} type={type} required={required} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </div>
  );
  return (
    <form className="panel" aria-label="New user" onSubmit={submit}>
      {field('first_name', 'First name')}
      {field('last_name', 'Last name')}
      {field('username', 'Email', 'email')}
      {field('department', 'Department', 'text', false)}
      <button type="submit" disabled={create.isPending}>
        Create user
      </button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Close
      </button>
      <ErrorNotice error={create.error} what="Creating the user" />
      {create.data ? <OperationProgress operationId={create.data.id} what="Creating the user" /> : null}
    </form>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { keys, type UnifiedUser } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, Loading, StatusBadge } from '../ui/notices';
import { hrefOf } from '../ui/route';
import { CreateUser } from './create-user';

const SEARCH_FIELDS = { email: 'Email', last_name: 'Last name', first_name: 'First name', department: 'Department', external_id: 'Employee number' } as const;
type SearchField = keyof typeof SEARCH_FIELDS;
const PAGE_SIZE = 25;

interface Filters {
  field: SearchField;
  text: string;
  status: '' | 'active' | 'inactive';
}

/** One page at a time (cursor paging): a 100k-user tenant costs one page per click, never the whole tenant. */
export function UserTable({ accountId }: { accountId: string }) {
  const client = useClient();
  const [filters, setFilters] = useState<Filters>({ field: 'email', text: '', status: '' });
  // cursors of the pages before the current one, for Previous
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const query = {
    integrated_account_id: accountId,
    limit: PAGE_SIZE,
    truto_ignore_remote_data: true,
    ...(filters.text ? { [filters.field]: filters.text } : {}),
    ...(filters.status ? { status: filters.status } : {}),
    ...(cursor ? { next_cursor: cursor } : {}),
  };
  const page = useQuery({
    queryKey: [...keys.users(accountId), filters, cursor],
    queryFn: () => call(client.GET('/unified/user-directory/users', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const apply = (next: Filters) => {
    setFilters(next);
    setCursors([undefined]);
  };
  const next = page.data?.next_cursor;
  return (
    <section aria-labelledby="users-title">
      <div className="title-row">
        <h2 id="users-title">Users</h2>
        <CreateUser accountId={accountId} />
      </div>
      <UserFilters initial={filters} onApply={apply} />
      <Pager page={cursors.length} loading={page.isFetching} hasPrevious={cursors.length > 1} hasNext={Boolean(next)} onPrevious={() => setCursors(cursors.slice(0, -1))} onNext={() => next && setCursors([...cursors, next])} />
      <ErrorNotice error={page.error} what="Loading users" />
      {page.isPending ? <Loading what="users" /> : null}
      {page.data ? <UserRows accountId={accountId} users={page.data.result} /> : null}
    </section>
  );
}

interface PagerProps {
  page: number;
  loading: boolean;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}

/** Above the table, so paging never needs a scroll. */
function Pager({ page, loading, hasPrevious, hasNext, onPrevious, onNext }: PagerProps) {
  return (
    <div className="pager" role="group" aria-label="Pages">
      <button type="button" className="secondary" disabled={!hasPrevious} onClick={onPrevious}>
        Previous page
      </button>
      <span aria-live="polite">
        Page {page}
        {loading ? ' (loading…)' : ''}
      </span>
      <button type="button" className="secondary" disabled={!hasNext} onClick={onNext}>
        Next page
      </button>
    </div>
  );
}

function UserFilters({ initial, onApply }: { initial: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ ...draft, text: draft.text.trim() });
  };
  return (
    <form className="filters" role="search" aria-label="Find users" onSubmit={submit}>
      <label htmlFor="search-field">Search by</label>
      <select id="search-field" value={draft.field} onChange={(e) => setDraft({ ...draft, field: e.target.value as SearchField })}>
        {Object.entries(SEARCH_FIELDS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <label htmlFor="search-text">Search text</label>
      <input id="search-text" type="search" value={draft.text} maxLength={320} onChange={(e) => setDraft({ ...draft, text: e.target.value })} />
      <label htmlFor="status-filter">Status</label>
      <select id="status-filter" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as Filters['status'] })}>
        <option value="">Any</option>
        <option value="active">Active</option>
        <option value="inactive">Archived</option>
      </select>
      <button type="submit">Search</button>
    </form>
  );
}

function UserRows({ accountId, users }: { accountId: string; users: UnifiedUser[] }) {
  if (users.length === 0) return <p>No user matches.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Users of this tenant, one page</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Department</th>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <th scope="row">
                <a href={hrefOf({ name: 'user', accountId, userId: user.id })}>{user.name || user.username}</a>
              </th>
              <td>{user.username}</td>
              <td>{user.department ?? ''}</td>
              <td>{user.title ?? ''}</td>
              <td>
                <StatusBadge status={user.status === 'inactive' ? 'archived' : user.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

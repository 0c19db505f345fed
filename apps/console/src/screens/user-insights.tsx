import { useQuery } from '@tanstack/react-query';
import type { components } from '@kb4/client';
import { keys, type UnifiedUser } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatCount, formatTime, Loading } from '../ui/notices';

type AuditEvent = components['schemas']['AuditEventDto'];

/** Risk, training and the last phishing test of a user (expand=risk,training,phishing), in one panel. */
export function UserInsights({ user }: { user: UnifiedUser }) {
  const phishing = user.phishing;
  return (
    <section className="panel" aria-labelledby="insights-title">
      <h2 id="insights-title">Risk, training and phishing</h2>
      <dl className="facts compact">
        <div>
          <dt>Risk score</dt>
          <dd>{user.risk?.current_risk_score ?? user.current_risk_score ?? '—'}</dd>
        </div>
        <div>
          <dt>Phish-prone %</dt>
          <dd>{user.risk?.phish_prone_percentage ?? user.phish_prone_percentage ?? '—'}</dd>
        </div>
        <div>
          <dt>Training</dt>
          <dd>
            {user.training
              ? `${formatCount(user.training.assigned)} assigned: ${formatCount(user.training.passed)} passed, ${formatCount(user.training.in_progress)} in progress, ${formatCount(user.training.not_started)} not started, ${formatCount(user.training.past_due)} past due`
              : '—'}
          </dd>
        </div>
        <div>
          <dt>Last phishing test</dt>
          <dd>{phishing ? `${phishing.result ?? 'sent'} (${formatTime(phishing.delivered_at ?? phishing.scheduled_at)})` : 'never sent one'}</dd>
        </div>
      </dl>
    </section>
  );
}

const SHOWN_CHANGES = 4;

/** A change entry's fields, at most a few; a creation lists none (every field is new). */
function describeEntry(entry: AuditEvent): string {
  if (entry.type.endsWith('.created')) return '';
  const changes = (entry.changes ?? []).map((change) => `${change.field}: ${show(change.from)} → ${show(change.to)}`);
  const more = changes.length > SHOWN_CHANGES ? `; and ${changes.length - SHOWN_CHANGES} more` : '';
  return changes.slice(0, SHOWN_CHANGES).join('; ') + more;
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '∅';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The user's audit history, newest first: what changed, who or what changed it. */
export function UserHistory({ accountId, userId }: { accountId: string; userId: string }) {
  const client = useClient();
  const history = useQuery({
    queryKey: [...keys.user(accountId, userId), 'history'],
    queryFn: () => call(client.GET('/unified/user-directory/users/{id}/history', { params: { path: { id: userId }, query: { integrated_account_id: accountId, limit: 20 } } })),
  });
  return (
    <section className="panel" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {history.isPending ? <Loading what="the history" /> : null}
      <ErrorNotice error={history.error} what="Loading the history" />
      {history.data && history.data.result.length === 0 ? <p className="muted">Nothing recorded yet.</p> : null}
      <ol className="plain history">
        {history.data?.result.map((entry) => (
          <li key={entry.id}>
            <span className="muted">{formatTime(entry.occurred_at)}</span> <strong>{entry.type}</strong> by {entry.actor.type.replace(/_/g, ' ')}
            {describeEntry(entry) ? <div className="change">{describeEntry(entry)}</div> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

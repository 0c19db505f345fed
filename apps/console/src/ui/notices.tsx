import { failureOf } from '../api/failure';

/** A failed call in words, with the request id to quote; announced to screen readers. */
export function ErrorNotice({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  const failure = failureOf(error);
  return (
    <div role="alert" className="notice notice-error">
      <strong>{what} failed.</strong> {failure.message}
      {failure.requestId ? (
        <span className="request-id">
          Request id (quote it when you report this): <code>{failure.requestId}</code>
        </span>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

export function Success({ children }: { children: React.ReactNode }) {
  return (
    <div role="status" className="notice notice-ok">
      {children}
    </div>
  );
}

const TONE: Record<string, string> = {
  active: 'ok',
  succeeded: 'ok',
  completed: 'ok',
  planned: 'info',
  queued: 'info',
  running: 'info',
  in_progress: 'info',
  inactive: 'muted',
  archived: 'muted',
  auth_failed: 'bad',
  failed: 'bad',
  refused: 'bad',
};

/** A status word in a coloured pill; the word itself carries the meaning, the colour only repeats it. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${TONE[status] ?? 'info'}`}>{status.replace(/_/g, ' ')}</span>;
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

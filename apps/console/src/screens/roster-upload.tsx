import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type ChangeEvent } from 'react';
import { type RosterPlan } from '../api/queries';
import { call, useClient } from '../api/session';
import { useLiveState } from '../live/live-events';
import { ErrorNotice, formatCount, StatusBadge } from '../ui/notices';

const MAX_FILE_BYTES = 50 * 1024 * 1024;

/** Upload a roster CSV, read its dry-run plan, then apply the same file (force only when the guard rail asks). */
export function RosterUpload({ accountId }: { accountId: string }) {
  const client = useClient();
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [force, setForce] = useState(false);
  const put = (csv: string, dryRun: boolean) =>
    client.PUT('/unified/user-directory/roster', {
      params: { query: { integrated_account_id: accountId, dry_run: dryRun ? 'true' : 'false', ...(force && !dryRun ? { force: 'true' } : {}) } },
      // the spec describes the CSV's rows; on the wire the body is the file's text
      body: { users: [] },
      bodySerializer: () => csv,
      headers: { 'content-type': 'text/csv' },
    });
  const plan = useMutation({ mutationFn: (csv: string) => call(put(csv, true)) });
  const apply = useMutation({ mutationFn: (csv: string) => call(put(csv, false)) });
  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    plan.reset();
    apply.reset();
    if (!chosen) return setFile(null);
    if (chosen.size > MAX_FILE_BYTES) return setFile(null);
    const text = await chosen.text();
    setFile({ name: chosen.name, text });
    plan.mutate(text);
  };
  const planned = plan.data && 'plan' in plan.data ? plan.data.plan : undefined;
  const run = apply.data && 'roster_run' in apply.data ? apply.data.roster_run : undefined;
  return (
    <section aria-labelledby="roster-title">
      <h2 id="roster-title">Roster upload</h2>
      <p className="muted">
        A CSV with a header row (<code>email</code>, <code>first_name</code>, <code>last_name</code>, <code>employee_number</code>, <code>department</code>, <code>groups</code>
        …). Everyone who should exist: people left out are archived. Nothing changes until you apply the plan.
      </p>
      <div className="field">
        <label htmlFor="roster-file">Roster file (CSV)</label>
        <input id="roster-file" type="file" accept=".csv,text/csv" onChange={(e) => void choose(e)} />
      </div>
      <ErrorNotice error={plan.error} what="Planning the roster" />
      {planned && file ? <PlanSummary plan={planned} /> : null}
      {planned && file && !run ? (
        <div className="field-row">
          {planned.needs_force ? (
            <label className="checkbox">
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Archive beyond the guard rail ({Math.round(planned.archive_share * 100)}% of active users)
            </label>
          ) : null}
          <button type="button" onClick={() => apply.mutate(file.text)} disabled={apply.isPending || (planned.needs_force && !force)}>
            Apply this plan
          </button>
        </div>
      ) : null}
      <ErrorNotice error={apply.error} what="Applying the roster" />
      {run ? <RosterRunProgress runId={run.id} /> : null}
    </section>
  );
}

function PlanSummary({ plan }: { plan: RosterPlan }) {
  const counts = plan.counts;
  return (
    <div className="preview" aria-labelledby="plan-title">
      <h3 id="plan-title">Dry-run plan</h3>
      <p>
        {formatCount(plan.rows)} rows: {formatCount(counts.create)} to create, {formatCount(counts.update)} to update, {formatCount(counts.archive)} to archive,{' '}
        {formatCount(counts.reactivate)} to reactivate, {formatCount(counts.add_member)} group additions, {formatCount(counts.remove_member)} group removals; {formatCount(plan.unchanged)} unchanged,{' '}
        {formatCount(plan.excluded)} excluded.
      </p>
      {plan.needs_force ? <p role="alert">This plan archives more people than the guard rail allows; applying it needs your confirmation.</p> : null}
      <ul className="plain changes">
        {plan.changes.slice(0, 20).map((change, index) => (
          <li key={index}>{describeChange(change)}</li>
        ))}
      </ul>
      {plan.changes_total > 20 ? <p className="muted">…and {formatCount(plan.changes_total - 20)} more changes.</p> : null}
    </div>
  );
}

function describeChange(change: Record<string, unknown>): string {
  const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const who = text(change.email) || text(change.user_id);
  const line = text(change.line) ? ` (line ${text(change.line)})` : '';
  return `${text(change.action)} ${who}${line}`;
}

function RosterRunProgress({ runId }: { runId: string }) {
  const client = useClient();
  const live = useLiveState();
  const run = useQuery({
    queryKey: ['roster-run', runId],
    queryFn: () => call(client.GET('/roster-runs/{id}', { params: { path: { id: runId } } })),
    // live events refresh it; polling only while they are off
    refetchInterval: (query) => (live !== 'live' && query.state.data?.status === 'running' ? 3_000 : false),
  });
  const current = run.data;
  return (
    <div className="operation" role="status" aria-live="polite" data-roster-run-status={current?.status ?? 'running'}>
      Roster run: <StatusBadge status={current?.status ?? 'running'} />{' '}
      {current ? `${formatCount(current.counts.done)} done, ${formatCount(current.counts.failed)} failed of ${formatCount(current.counts.planned)}` : ''}
      <ErrorNotice error={run.error} what="Reading the roster run" />
    </div>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { keys, type MappingRule } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, Loading, StatusBadge } from '../ui/notices';
import { RuleEditor } from './rule-editor';

/** The tenant's group mapping rules (evaluated by the automations process); each edit can be previewed before saving. */
export function MappingRules({ accountId }: { accountId: string }) {
  const client = useClient();
  const rules = useQuery({
    queryKey: keys.rules(accountId),
    queryFn: () => call(client.GET('/integrated-accounts/{id}/mapping-rules', { params: { path: { id: accountId } } })),
  });
  const [editing, setEditing] = useState<MappingRule | 'new' | null>(null);
  return (
    <section aria-labelledby="rules-title">
      <div className="title-row">
        <h2 id="rules-title">Group mapping rules</h2>
        <button type="button" onClick={() => setEditing('new')}>
          New rule
        </button>
      </div>
      <ErrorNotice error={rules.error} what="Loading the rules" />
      {rules.isPending ? <Loading what="rules" /> : null}
      {rules.data && rules.data.result.length === 0 ? <p>No rule yet.</p> : null}
      {rules.data && rules.data.result.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">When</th>
                <th scope="col">Group</th>
                <th scope="col">Effect</th>
                <th scope="col">State</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.result.map((rule) => (
                <tr key={rule.id}>
                  <th scope="row">{rule.name}</th>
                  <td>{describeConditions(rule)}</td>
                  <td>{rule.target_group_name ?? rule.target_group_id}</td>
                  <td>{rule.effect}</td>
                  <td>
                    <StatusBadge status={rule.enabled ? 'active' : 'inactive'} />
                  </td>
                  <td>
                    <button type="button" className="secondary small" onClick={() => setEditing(rule)} aria-label={`Edit rule ${rule.name}`}>
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing ? <RuleEditor key={editing === 'new' ? 'new' : editing.id} accountId={accountId} rule={editing === 'new' ? null : editing} saved={rules.data?.result ?? []} onDone={() => setEditing(null)} /> : null}
    </section>
  );
}

export function describeConditions(rule: Pick<MappingRule, 'match' | 'conditions'>): string {
  const parts = rule.conditions.map((c) => `${c.attribute.replace(/_/g, ' ')} ${c.operator} ${c.operator === 'in' ? (c.values ?? []).join(', ') : (c.value ?? '')}`);
  return parts.join(rule.match === 'all' ? ' and ' : ' or ');
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { keys, type MappingRule, type MappingRuleWrite, type RuleCondition, type RulePreview } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, formatCount, Success } from '../ui/notices';

const ATTRIBUTES: ReadonlyArray<RuleCondition['attribute']> = ['department', 'division', 'location', 'title', 'organization', 'manager', 'custom_field_1', 'custom_field_2', 'custom_field_3', 'custom_field_4'];
const OPERATORS: ReadonlyArray<RuleCondition['operator']> = ['equals', 'in', 'prefix', 'regex'];

function draftOf(rule: MappingRule | null): MappingRuleWrite {
  if (!rule) return { name: '', match: 'all', conditions: [{ attribute: 'department', operator: 'equals', value: '' }], target_group_name: '', effect: 'include', enabled: true };
  return { name: rule.name, match: rule.match, conditions: rule.conditions, effect: rule.effect, enabled: rule.enabled, ...(rule.target_group_id ? { target_group_id: rule.target_group_id } : { target_group_name: rule.target_group_name ?? '' }) };
}

/** The saved enabled rules with this draft in place of the rule it edits: what would hold after saving. */
function rulesAfterSave(saved: readonly MappingRule[], editing: MappingRule | null, draft: MappingRuleWrite): MappingRuleWrite[] {
  const others = saved.filter((rule) => rule.enabled && rule.id !== editing?.id).map((rule) => draftOf(rule));
  return [...others, draft];
}

export function RuleEditor({ accountId, rule, saved, onDone }: { accountId: string; rule: MappingRule | null; saved: readonly MappingRule[]; onDone: () => void }) {
  const client = useClient();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(rule));
  const path = { path: { id: accountId } };
  const preview = useMutation({
    mutationFn: () => call(client.POST('/integrated-accounts/{id}/mapping-rules/preview', { params: path, body: { rules: rulesAfterSave(saved, rule, draft), with_saved_rules: false } })),
  });
  const save = useMutation({
    mutationFn: () =>
      rule
        ? call(client.PATCH('/integrated-accounts/{id}/mapping-rules/{rule_id}', { params: { path: { id: accountId, rule_id: rule.id } }, body: draft }))
        : call(client.POST('/integrated-accounts/{id}/mapping-rules', { params: path, body: draft })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.rules(accountId) }),
  });
  const submit = (event: FormEvent) => void (event.preventDefault(), save.mutate());
  const condition = draft.conditions[0];
  const setCondition = (next: Partial<RuleCondition>) => setDraft({ ...draft, conditions: [{ ...condition, ...next }, ...draft.conditions.slice(1)] });
  return (
    <form className="panel" aria-labelledby="rule-editor-title" onSubmit={submit}>
      <h3 id="rule-editor-title">{rule ? `Edit rule “${rule.name}”` : 'New rule'}</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor="rule-name">Rule name</label>
          <input id="rule-name" required maxLength={200} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="rule-group">Group name</label>
          <input id="rule-group" required={!draft.target_group_id} disabled={Boolean(draft.target_group_id)} value={draft.target_group_name ?? ''} onChange={(e) => setDraft({ ...draft, target_group_name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="rule-effect">Effect</label>
          <select id="rule-effect" value={draft.effect} onChange={(e) => setDraft({ ...draft, effect: e.target.value as MappingRuleWrite['effect'] })}>
            <option value="include">include: matching users belong in the group</option>
            <option value="exclude">exclude: matching users must not be in it</option>
          </select>
        </div>
      </div>
      <ConditionFields condition={condition} onChange={setCondition} />
      {draft.conditions.length > 1 ? <p className="muted">and {draft.conditions.length - 1} more condition(s), kept as they are.</p> : null}
      <div className="field-row">
        <label className="checkbox">
          <input type="checkbox" checked={draft.enabled ?? true} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} /> Enabled
        </label>
        <button type="button" className="secondary" onClick={() => preview.mutate()} disabled={preview.isPending}>
          Preview
        </button>
        <button type="submit" disabled={save.isPending}>
          Save rule
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Close
        </button>
      </div>
      <Outcome preview={preview} save={save} />
    </form>
  );
}

function Outcome({ preview, save }: { preview: { error: unknown; data?: RulePreview }; save: { error: unknown; isSuccess: boolean } }) {
  return (
    <>
      <ErrorNotice error={preview.error} what="Previewing the rule" />
      <ErrorNotice error={save.error} what="Saving the rule" />
      {save.isSuccess ? <Success>Rule saved. The automations process applies it to the tenant.</Success> : null}
      {preview.data ? <PreviewResult preview={preview.data} /> : null}
    </>
  );
}

function ConditionFields({ condition, onChange }: { condition: RuleCondition; onChange: (next: Partial<RuleCondition>) => void }) {
  const isList = condition.operator === 'in';
  return (
    <fieldset className="field-row">
      <legend>Condition</legend>
      <div className="field">
        <label htmlFor="rule-attribute">Attribute</label>
        <select id="rule-attribute" value={condition.attribute} onChange={(e) => onChange({ attribute: e.target.value as RuleCondition['attribute'] })}>
          {ATTRIBUTES.map((a) => (
            <option key={a} value={a}>
              {a.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="rule-operator">Operator</label>
        <select id="rule-operator" value={condition.operator} onChange={(e) => onChange({ operator: e.target.value as RuleCondition['operator'] })}>
          {OPERATORS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="rule-value">{isList ? 'Values (comma-separated)' : 'Value'}</label>
        <input
          id="rule-value"
          required
          maxLength={256}
          value={isList ? (condition.values ?? []).join(', ') : (condition.value ?? '')}
          onChange={(e) => onChange(isList ? { values: e.target.value.split(',').map((v) => v.trim()).filter(Boolean), value: undefined } : { value: e.target.value, values: undefined })}
        />
      </div>
    </fieldset>
  );
}

function PreviewResult({ preview }: { preview: RulePreview }) {
  return (
    <div className="preview" role="status" aria-live="polite">
      <h4>Preview</h4>
      <p>
        {formatCount(preview.users_evaluated)} active users evaluated{preview.truncated ? ' (the first 50,000)' : ''}; {formatCount(preview.conflicts)} conflicts.
      </p>
      {preview.groups.length === 0 ? <p>No group membership would change.</p> : null}
      <ul className="plain">
        {preview.groups.map((group) => (
          <li key={group.group_id ?? group.group_name}>
            <strong>{group.group_name}</strong>
            {group.group_id ? '' : ' (new group)'}: {formatCount(group.join_count)} would join, {formatCount(group.leave_count)} would leave
          </li>
        ))}
      </ul>
    </div>
  );
}

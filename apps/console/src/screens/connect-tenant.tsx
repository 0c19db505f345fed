import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { keys, REGIONS, type Region } from '../api/queries';
import { call, useClient } from '../api/session';
import { ErrorNotice, Success } from '../ui/notices';
import { hrefOf } from '../ui/route';

/**
 * Connect a KnowBe4 tenant: the gateway checks both credentials with KnowBe4 before saving, and when the Reporting
 * key works in another region it says which (shown as the gateway words it). Secrets are cleared once sent.
 */
export function ConnectTenant() {
  const client = useClient();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ label: '', region: 'us' as Region, reporting_api_key: '', scim_token: '', scim_base_url: '' });
  const connect = useMutation({
    mutationFn: () =>
      call(
        client.POST('/integrated-accounts', {
          body: { label: form.label, region: form.region, reporting_api_key: form.reporting_api_key, scim_token: form.scim_token, ...(form.scim_base_url ? { scim_base_url: form.scim_base_url } : {}) },
        }),
      ),
    onSuccess: () => {
      setForm((current) => ({ ...current, reporting_api_key: '', scim_token: '' }));
      void queryClient.invalidateQueries({ queryKey: keys.accounts });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate();
  };
  const text = (name: SecretOrText, label: string, secret = false, required = true) => (
    <TextField name={name} label={label} secret={secret} required={required} value={form[name]} onChange={(value) => setForm({ ...form, [name]: value })} />
  );
  return (
    <section aria-labelledby="connect-title">
      <h1 id="connect-title">Connect a tenant</h1>
      <form className="panel narrow" onSubmit={submit}>
        {text('label', 'Name of the tenant')}
        <div className="field">
          <label htmlFor="connect-region">KnowBe4 region</label>
          <select id="connect-region" value={form.region} onChange={(e) => setForm({ ...form, region: e.target.value as Region })}>
            {REGIONS.map((region) => (
              <option key={region} value={region}>
                {region.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
        {text('reporting_api_key', 'Reporting API key', true)}
        {text('scim_token', 'SCIM token', true)}
        {text('scim_base_url', 'SCIM tenant URL (optional)', false, false)}
        <button type="submit" disabled={connect.isPending}>
          {connect.isPending ? 'Checking the credentials with KnowBe4…' : 'Check and connect'}
        </button>
      </form>
      <ErrorNotice error={connect.error} what="Connecting the tenant" />
      {connect.data ? (
        <Success>
          Connected <a href={hrefOf({ name: 'tenant', accountId: connect.data.id, tab: 'users' })}>{connect.data.label}</a> ({connect.data.region.toUpperCase()}). Its first sync starts shortly.
        </Success>
      ) : null}
    </section>
  );
}

type SecretOrText = 'label' | 'reporting_api_key' | 'scim_token' | 'scim_base_url';

function TextField(props: { name: SecretOrText; label: string; secret: boolean; required: boolean; value: string; onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={`connect-${props.name}`}>{props.label}</label>
      <input
        id={`connect-${props.name}`}
        type={props.secret ? 'password' : props.name === 'scim_base_url' ? 'url' : 'text'}
        autoComplete="off"
        required={props.required}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}

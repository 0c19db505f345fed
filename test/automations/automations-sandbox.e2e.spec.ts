import { api, finishedOperation, startProvisioningStack, type ProvisioningStack } from '../provisioner/support/provisioning-stack';
import { waitFor } from '../poller/support';
import { startAutomationsProcess, type AutomationsProcess } from './support';

interface ScimGroup {
  id: string;
  displayName: string;
  members?: Array<{ value: string }>;
}

// The real stack against the KnowBe4 sandbox: gateway, provisioner and automations processes, the embedded broker.
describe('automations against the sandbox: new hires and rule-mapped groups', () => {
  let stack: ProvisioningStack;
  let automations: AutomationsProcess;

  const scimGroups = async (): Promise<ScimGroup[]> => {
    const response = await fetch(`${stack.tenant.scim_base_url}/Groups?count=200`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } });
    return ((await response.json()) as { Resources?: ScimGroup[] }).Resources ?? [];
  };
  const membersOf = async (name: string): Promise<string[]> => {
    const group = (await scimGroups()).find((candidate) => candidate.displayName === name);
    if (!group) return [];
    const response = await fetch(`${stack.tenant.scim_base_url}/Groups/${group.id}`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } });
    return (((await response.json()) as ScimGroup).members ?? []).map((member) => member.value);
  };
  const path = (route: string) => `/integrated-accounts/${stack.accountId}${route}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_automations_sandbox');
    automations = await startAutomationsProcess({ ...stack.env, AUTOMATIONS_POLL_INTERVAL_MS: '200', AUTOMATIONS_SESSION_TIMEOUT_MS: '6000', AUTOMATIONS_HEARTBEAT_INTERVAL_MS: '1000' });
  });

  afterAll(async () => {
    await automations?.stop();
    await stack?.stop();
  });

  it('puts a new user into New Hires (creating it) and its department group, and moves it when the department changes', async () => {
    for (const name of ['Phish: Engineering', 'Phish: Sales']) {
      const created = await api<{ id: string }>(stack, 'POST', `/unified/user-directory/groups?integrated_account_id=${stack.accountId}`, { body: { name } });
      expect((await finishedOperation(stack, created.body.id)).status).toBe('succeeded');
    }
    expect((await api(stack, 'PUT', path('/automations'), { body: { new_hires: { enabled: true, group_name: 'New Hires', remove_after_days: 30 } } })).status).toBe(200);
    for (const department of ['Engineering', 'Sales']) {
      const rule = await api(stack, 'POST', path('/mapping-rules'), {
        body: { name: department, conditions: [{ attribute: 'department', operator: 'equals', value: department }], target_group_name: `Phish: ${department}` },
      });
      expect(rule.status).toBe(201);
    }

    const created = await api<{ id: string }>(stack, 'POST', `/unified/user-directory/users?integrated_account_id=${stack.accountId}`, {
      body: { username: 'new.hire@example.com', first_name: 'New', last_name: 'Hire', department: 'Engineering' },
    });
    const operation = await finishedOperation(stack, created.body.id);
    expect(operation.status).toBe('succeeded');
    const scimId = (operation.scim_response as { scim_id: string }).scim_id;

    await waitFor('the new user in New Hires and Phish: Engineering', async () =>
      (await membersOf('New Hires')).includes(scimId) && (await membersOf('Phish: Engineering')).includes(scimId), 90_000);

    const moved = await api<{ id: string }>(stack, 'PATCH', `/unified/user-directory/users/${scimId}?integrated_account_id=${stack.accountId}`, { body: { department: 'Sales' } });
    expect((await finishedOperation(stack, moved.body.id)).status).toBe('succeeded');
    await waitFor('the mover in Phish: Sales and out of Phish: Engineering', async () =>
      (await membersOf('Phish: Sales')).includes(scimId) && !(await membersOf('Phish: Engineering')).includes(scimId), 90_000);
    expect(await membersOf('New Hires')).toContain(scimId);

    const actors = await stack.query<{ kind: string; actor: Record<string, unknown> | null }>(`SELECT kind, actor FROM operations WHERE actor->>'type' = 'automation' ORDER BY created_at`);
    expect(actors.map((row) => row.actor?.source).sort()).toEqual(['group_create', 'mapping_rules', 'mapping_rules', 'mapping_rules', 'new-hires']);
  });
});

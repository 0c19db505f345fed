import { fromKafkaMessage, TOPICS } from '@kb4/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { api, ProvisioningStack } from '../provisioner/support/provisioning-stack';

type Json = Record<string, unknown>;

export interface Person {
  email: string;
  employee: string;
  first: string;
  last: string;
  department: string;
  /** KnowBe4 custom fields (Reporting records need not carry them): a re-push must not rewrite them. */
  costCenter: string;
  startDate: string;
}

/** Departments and the console groups a roster puts people in (one group per department). */
export const DEPARTMENTS = ['Engineering', 'Sales', 'Support'];

export function person(i: number, department = DEPARTMENTS[i % DEPARTMENTS.length]): Person {
  return {
    email: `person${i}@example.com`,
    employee: `E${String(i).padStart(6, '0')}`,
    first: `First${i}`,
    last: `Last${i}`,
    department,
    costCenter: `CC-${100 + (i % 7)}`,
    startDate: `2024-0${1 + (i % 9)}-15`,
  };
}

export function csvOf(people: Person[]): string {
  const rows = people.map((p) => [p.email, p.employee, p.first, p.last, p.department, p.costCenter, p.startDate, p.department].join(','));
  return ['email,employee_number,first_name,last_name,department,custom_field_1,custom_date_1,groups', ...rows].join('\n') + '\n';
}

export function ndjsonOf(people: Person[]): string {
  return people
    .map((p) =>
      JSON.stringify({
        username: p.email,
        external_id: p.employee,
        first_name: p.first,
        last_name: p.last,
        department: p.department,
        // the date as a date-time: KnowBe4 keeps the calendar date, which the planner compares
        custom_fields: { custom_field_1: p.costCenter, custom_date_1: `${p.startDate}T00:00:00.000Z` },
        groups: [{ name: p.department }],
      }),
    )
    .join('\n');
}

export async function putRoster(stack: ProvisioningStack, body: string, contentType: string, params = ''): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${stack.gateway.url}/unified/user-directory/roster?integrated_account_id=${stack.accountId}${params}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Polls GET /roster-runs/{id} until the run completed (bounded rounds; no elapsed-time assertion). */
export async function completedRun(stack: ProvisioningStack, id: string, rounds = 1200): Promise<Json> {
  for (let round = 0; round < rounds; round++) {
    const run = await api(stack, 'GET', `/roster-runs/${id}`);
    if (run.body.status === 'completed') return run.body;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`roster run ${id} did not complete`);
}

/** The sandbox tenant as KnowBe4 holds it: email → status, department, group names. */
export function tenantState(stack: ProvisioningStack): Map<string, { status: string; department: string | null; groups: string[]; count: number }> {
  const tenant = stack.sandbox.store.get(stack.tenant.id)!;
  const state = new Map<string, { status: string; department: string | null; groups: string[]; count: number }>();
  for (const user of tenant.users) {
    const groups = tenant.groups.filter((group) => group.memberIds.has(user.id)).map((group) => group.name).sort();
    const key = user.email.toLowerCase();
    const seen = state.get(key);
    state.set(key, { status: user.status, department: user.department, groups, count: (seen?.count ?? 0) + 1 });
  }
  return state;
}

export async function createGroups(stack: ProvisioningStack, names: string[]): Promise<void> {
  for (const name of names) {
    const answer = await api(stack, 'POST', `/unified/user-directory/groups?integrated_account_id=${stack.accountId}`, { body: { name }, headers: { prefer: 'wait=20' } });
    if (answer.body.status !== 'succeeded') throw new Error(`group ${name} was not created: ${JSON.stringify(answer.body)}`);
  }
}

export interface RosterRunEvent {
  key: string | null;
  id: string;
  type: string;
  data: Json;
}

/** A consumer group of its own on `knowbe4.roster.runs`, keeping the events of one account in the order received. */
export async function collectRosterRunEvents(accountId: string): Promise<{ events: RosterRunEvent[]; stop: () => Promise<void> }> {
  const kafka = new Kafka({ clientId: 'roster-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `roster-test-${accountId}`, sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.rosterRuns, fromBeginning: true });
  const events: RosterRunEvent[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { key, event } = fromKafkaMessage(message);
      const data = event.data as Json;
      if (data?.integrated_account_id === accountId) events.push({ key, id: event.id, type: event.type, data });
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

/** The events of one run, once `until` (an event type) is among them. */
export async function rosterRunEventsOf(collected: { events: RosterRunEvent[] }, runId: string, until: string, rounds = 1200): Promise<RosterRunEvent[]> {
  for (let round = 0; round < rounds; round++) {
    const mine = collected.events.filter((e) => e.data.roster_run_id === runId);
    if (mine.some((e) => e.type === until)) return mine;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${until} event for roster run ${runId} on ${TOPICS.rosterRuns}`);
}

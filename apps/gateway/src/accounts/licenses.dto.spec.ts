import type { ArchivedUserRow } from '@kb4/persistence';
import { toArchivedUserDto, toLicensesDto } from './licenses.dto';

const counts = { activeUsers: 90, archivedUsers: 12, freedLast30Days: 2, freedLast90Days: 5 };
const page = { result: [], next_cursor: null, result_count: 0 };

function row(overrides: Partial<ArchivedUserRow>): ArchivedUserRow {
  return {
    seq: '7',
    remoteId: '667542',
    scimId: 'scim-1',
    email: 'grace@example.com',
    firstName: 'Grace',
    lastName: 'Hopper',
    archivedAt: new Date('2026-11-20T14:03:11.000Z'),
    archivedAtKey: '2026-11-20T14:03:11.000000Z',
    source: 'api',
    operationId: 'op-1',
    actor: { type: 'api_key', id: 'key-1' },
    ...overrides,
  };
}

describe('licenses response', () => {
  it('has no purchased or free seats before a sync read /v1/account, or for a trial account', () => {
    const dto = toLicensesDto('acc', null, counts, page);
    expect(dto).toMatchObject({ seats_purchased: null, seats_free: null, seats_used: 90, seats_synced_at: null, subscription_level: null });
    const trial = toLicensesDto('acc', { numberOfSeats: null, subscriptionLevel: null, subscriptionEndDate: null, fetchedAt: new Date(0), syncRunId: null }, counts, page);
    expect(trial).toMatchObject({ seats_purchased: null, seats_free: null, seats_synced_at: '1970-01-01T00:00:00.000Z' });
  });

  it('counts free seats from the purchased ones, negative when over the licence, and always states that archiving keeps history', () => {
    const subscription = { numberOfSeats: 100, subscriptionLevel: 'Diamond', subscriptionEndDate: '2027-06-30', fetchedAt: new Date('2026-11-28T04:15:00Z'), syncRunId: 'run' };
    expect(toLicensesDto('acc', subscription, counts, page)).toMatchObject({ seats_purchased: 100, seats_free: 10, subscription_level: 'Diamond' });
    expect(toLicensesDto('acc', { ...subscription, numberOfSeats: 80 }, counts, page).seats_free).toBe(-10);
    expect(toLicensesDto('acc', null, counts, page).archiving).toMatchObject({ keeps_history: true, sources: [expect.stringMatching(/^https:\/\/support\.knowbe4\.com\//), expect.any(String)] });
  });

  it('shows the unified id (Reporting id, else SCIM id), the date to the millisecond and the actor only with an operation', () => {
    expect(toArchivedUserDto(row({}))).toEqual({
      id: '667542',
      email: 'grace@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
      archived_at: '2026-11-20T14:03:11.000Z',
      source: 'api',
      operation_id: 'op-1',
      actor: { type: 'api_key', id: 'key-1' },
    });
    expect(toArchivedUserDto(row({ remoteId: null })).id).toBe('scim-1');
    expect(toArchivedUserDto(row({ source: 'knowbe4-console', operationId: null, actor: null })).actor).toBeNull();
    expect(toArchivedUserDto(row({ actor: { type: 'admin' } })).actor).toEqual({ type: 'admin', id: null });
    expect(toArchivedUserDto(row({ actor: { type: 'automation', rule_id: 'r-1' } })).actor).toEqual({ type: 'automation', id: 'r-1' });
    expect(toArchivedUserDto(row({ actor: { no: 'type' } })).actor).toBeNull();
  });
});

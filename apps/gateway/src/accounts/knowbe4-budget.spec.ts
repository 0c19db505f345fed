import { knowbe4Budget } from './knowbe4-budget';

const now = Date.parse('2026-11-28T12:00:00.000Z');
const hour = 3_600_000;

describe('knowbe4Budget', () => {
  it('is 2,000 plus the licensed seats, less what the open window used', () => {
    expect(knowbe4Budget({ pacing: 'documented', usage: { windowStartedAt: new Date(now - 2 * hour), used: 312 }, seats: 50, now })).toEqual({
      daily_limit: 2050,
      used_today: 312,
      remaining_today: 1738,
      resets_at: '2026-11-29T10:00:00.000Z',
    });
  });

  it('counts a window past its day, or none at all, as nothing used', () => {
    expect(knowbe4Budget({ pacing: 'documented', usage: { windowStartedAt: new Date(now - 25 * hour), used: 2000 }, seats: 0, now })).toMatchObject({ used_today: 0, remaining_today: 2000, resets_at: null });
    expect(knowbe4Budget({ pacing: 'documented', usage: null, seats: null, now })).toMatchObject({ daily_limit: 2000, used_today: 0 });
  });

  it('never goes below zero, and has no limit when pacing is not the documented one', () => {
    expect(knowbe4Budget({ pacing: 'documented', usage: { windowStartedAt: new Date(now), used: 2600 }, seats: 100, now }).remaining_today).toBe(0);
    expect(knowbe4Budget({ pacing: 'off', usage: { windowStartedAt: new Date(now), used: 10 }, seats: 100, now })).toMatchObject({ daily_limit: null, used_today: 10, remaining_today: null });
  });
});

import type { AttemptClaim, ClaimInput } from '@kb4/persistence';
import { AttemptClaimer, ClaimStatement } from './attempt-claimer';

const input = (operationId: string): ClaimInput => ({ operationId, commandId: `c-${operationId}`, accountId: 'a', leaseSeconds: 30, checkPredecessors: false });

/** A statement that answers `busy` with the input's index as retryAfterMs, recording each call's operation ids. */
function recordingStatement(refuse: (inputs: readonly ClaimInput[]) => boolean = () => false): ClaimStatement & { calls: string[][]; release: () => void } {
  let gate: (() => void) | undefined;
  const statement = {
    calls: [] as string[][],
    release: () => gate?.(),
    async claimAttempts(inputs: readonly ClaimInput[]): Promise<AttemptClaim[]> {
      statement.calls.push(inputs.map((i) => i.operationId));
      if (statement.calls.length === 1) await new Promise<void>((resolve) => (gate = resolve));
      if (refuse(inputs)) throw new Error('invalid input syntax for type uuid');
      return inputs.map((i) => ({ kind: 'busy', retryAfterMs: Number(i.operationId.slice(2)) }));
    },
  };
  return statement;
}

describe('AttemptClaimer', () => {
  it('claims what was asked for in one turn in one statement, and what arrives meanwhile in the next', async () => {
    const statement = recordingStatement();
    const claimer = new AttemptClaimer(statement);
    const first = ['op1', 'op2', 'op3'].map((id) => claimer.claim(input(id)));
    await new Promise((resolve) => setImmediate(resolve));
    const second = ['op4', 'op5'].map((id) => claimer.claim(input(id)));
    statement.release();
    expect(await Promise.all([...first, ...second])).toEqual([1, 2, 3, 4, 5].map((n) => ({ kind: 'busy', retryAfterMs: n })));
    expect(statement.calls).toEqual([['op1', 'op2', 'op3'], ['op4', 'op5']]);
  });

  it('tries a failed statement claim by claim, so only the input Postgres refuses fails its command', async () => {
    const statement = recordingStatement((inputs) => inputs.some((i) => i.operationId === 'op2'));
    const claimer = new AttemptClaimer(statement);
    const claims = ['op1', 'op2', 'op3'].map((id) => claimer.claim(input(id)).then((claim) => claim, (error: Error) => error.message));
    await new Promise((resolve) => setImmediate(resolve));
    statement.release();
    expect(await Promise.all(claims)).toEqual([{ kind: 'busy', retryAfterMs: 1 }, 'invalid input syntax for type uuid', { kind: 'busy', retryAfterMs: 3 }]);
    expect(statement.calls).toEqual([['op1', 'op2', 'op3'], ['op1'], ['op2'], ['op3']]);
  });

  it('puts at most maxBatch claims in one statement', async () => {
    const statement = recordingStatement();
    const claimer = new AttemptClaimer(statement, { maxBatch: 2 });
    const claims = ['op1', 'op2', 'op3'].map((id) => claimer.claim(input(id)));
    await new Promise((resolve) => setImmediate(resolve));
    statement.release();
    await Promise.all(claims);
    expect(statement.calls).toEqual([['op1', 'op2'], ['op3']]);
  });
});

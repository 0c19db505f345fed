import { KnowBe4AuthError, KnowBe4UpstreamError, ScimRequestError } from '@kb4/knowbe4';
import { ScimMappingError } from '@kb4/mapping';
import { CommandRejectedError, describeFailure, isDeadLettered } from './failure';

const scim400 = new ScimRequestError({
  status: 400,
  scimType: 'invalidValue',
  message: "KnowBe4 scim API answered 400 to PATCH /Groups/g1: Attribute 'members.value' must name Users of this account",
  body: { scimType: 'invalidValue', detail: "Attribute 'members.value' must name Users of this account" },
});

describe('describeFailure and the DLQ decision (issue 17)', () => {
  it("treats a SCIM 400 invalidValue (RFC 7644 §3.12) as the caller's error: KnowBe4's message, no retry, no DLQ", () => {
    const failure = describeFailure(scim400);
    expect(failure).toMatchObject({ code: 'scim_invalidValue', retryable: false, status: 400, truto_error_insight: 'validation_error' });
    expect(failure.message).toContain("Attribute 'members.value' must name Users of this account");
    expect(isDeadLettered(failure)).toBe(false);
  });

  it.each([
    ['an outage that outlasted the retries', true, new KnowBe4UpstreamError({ status: 503 })],
    ['rejected credentials', true, new KnowBe4AuthError({ status: 401 })],
    ['a target missing in KnowBe4', true, new CommandRejectedError('user_not_found', 'user x does not exist in KnowBe4', 'not_found_error')],
    ['a write SCIM cannot express', false, new ScimMappingError('the primary email (username) cannot be cleared')],
    ['an unknown internal failure', true, new Error('connection reset')],
  ])('%s → dead-lettered: %p', (_what, deadLettered, error) => {
    expect(isDeadLettered(describeFailure(error))).toBe(deadLettered);
  });
});

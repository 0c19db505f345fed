import { describeFailure, failureOf, FailureError } from './failure';

describe('describeFailure', () => {
  it.each([
    [401, { message: 'missing or invalid API key', request_id: 'r-1' }, /did not accept this API key/],
    [403, { message: 'this API key lacks the scope accounts:manage', request_id: 'r-2' }, /scope accounts:manage/],
    [404, { message: 'integrated account not found', request_id: 'r-3' }, /Not found in this workspace/],
    [502, { message: 'KnowBe4 said no', truto_error_insight: 'auth_error', request_id: 'r-4' }, /KnowBe4 refused the credentials/],
    [503, { message: 'database down', request_id: 'r-5' }, /could not complete this request/],
  ])('words a %i for a technician and keeps the request id', (status, body, words) => {
    const failure = describeFailure(status, body);
    expect(failure.message).toMatch(words);
    expect(failure.requestId).toBe(body.request_id);
  });

  it('lists the validation details of a 400', () => {
    const failure = describeFailure(400, { message: 'validation failed', details: [{ field: 'label', errors: ['label must not be empty'] }] });
    expect(failure.message).toContain('label must not be empty');
  });

  it('takes the request id from the header when the body is not the gateway shape', () => {
    expect(describeFailure(502, '<html>bad gateway</html>', 'hdr-id')).toMatchObject({ status: 502, requestId: 'hdr-id' });
  });

  it('says the gateway is unreachable for anything that is not a FailureError', () => {
    expect(failureOf(new TypeError('Failed to fetch')).message).toMatch(/Cannot reach the gateway/);
    expect(failureOf(new FailureError({ status: 409, message: 'm' })).status).toBe(409);
  });
});

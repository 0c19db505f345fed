import { withMembers } from './user-expansions';

describe('withMembers', () => {
  it('adds members to an object without parsing it', () => {
    expect(JSON.parse(withMembers('{"id":"1","name":"Ada"}', [['risk', '{"current_risk_score":3.5}'], ['phishing', 'null']]))).toEqual({
      id: '1',
      name: 'Ada',
      risk: { current_risk_score: 3.5 },
      phishing: null,
    });
  });

  it('handles an empty object and trailing whitespace, and leaves the text alone with nothing to add', () => {
    expect(withMembers('{}', [['training', '{"assigned":0}']])).toBe('{"training":{"assigned":0}}');
    expect(withMembers('{ "a": 1 } ', [['b', '2']])).toBe('{ "a": 1 ,"b":2}');
    expect(withMembers('{"a":1}', [])).toBe('{"a":1}');
  });
});

/**
 * Rule regexes run on every directory change, so a hostile or careless pattern must not be able to backtrack for
 * ever. Without a linear-time engine (re2 is a native build), patterns are held to a shape whose worst case is
 * polynomial and small: no backreferences or lookaround, no unbounded repeat of a group that itself repeats or
 * alternates (star height 1), few unbounded quantifiers, and values cut to RULE_VALUE_MAX_LENGTH before matching.
 */
export const RULE_PATTERN_MAX_LENGTH = 200;
export const RULE_VALUE_MAX_LENGTH = 256;
const MAX_UNBOUNDED_QUANTIFIERS = 3;
const MAX_BOUNDED_REPEAT = 10;

interface GroupState {
  repeats: boolean;
  alternates: boolean;
}

/** The quantifier starting at `index`, if any: its length and whether it repeats without a small bound. */
function quantifierAt(pattern: string, index: number): { length: number; unbounded: boolean } | null {
  const char = pattern[index];
  if (char === '*' || char === '+') return { length: pattern[index + 1] === '?' ? 2 : 1, unbounded: true };
  if (char === '?') return { length: 1, unbounded: false };
  if (char !== '{') return null;
  const match = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(index));
  if (!match) return null;
  const max = match[2] === undefined ? Number(match[1]) : match[3] === '' ? Infinity : Number(match[3]);
  return { length: match[0].length, unbounded: max > MAX_BOUNDED_REPEAT };
}

/** Length of the escape or character class starting at `index` (a backslash or '['), or an error. */
function atomLength(pattern: string, index: number): number | string {
  if (pattern[index] === '\\') {
    const next = pattern[index + 1] ?? '';
    if (/[1-9k]/.test(next)) return 'backreferences are not allowed';
    return 2;
  }
  let end = index + 1;
  if (pattern[end] === '^') end++;
  if (pattern[end] === ']') end++;
  while (end < pattern.length && pattern[end] !== ']') end += pattern[end] === '\\' ? 2 : 1;
  return end - index + 1;
}

function checkStructure(pattern: string): string | null {
  const stack: GroupState[] = [{ repeats: false, alternates: false }];
  let unbounded = 0;
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index];
    let closed: GroupState | null = null;
    if (char === '\\' || char === '[') {
      const length = atomLength(pattern, index);
      if (typeof length === 'string') return length;
      index += length;
    } else if (char === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(index, index + 4))) return 'lookahead and lookbehind are not allowed';
      stack.push({ repeats: false, alternates: false });
      index += /^\(\?(:|<[A-Za-z][A-Za-z0-9]*>)/.exec(pattern.slice(index))?.[0].length ?? 1;
    } else if (char === ')') {
      closed = stack.length > 1 ? stack.pop()! : null;
      // what a group contains, its enclosing group contains too: ((a|a)c)* is as ambiguous as (a|a)*
      if (closed) {
        stack[stack.length - 1].repeats ||= closed.repeats;
        stack[stack.length - 1].alternates ||= closed.alternates;
      }
      index++;
    } else {
      if (char === '|') stack[stack.length - 1].alternates = true;
      index++;
    }
    const quantifier = quantifierAt(pattern, index);
    if (!quantifier) continue;
    index += quantifier.length;
    if (!quantifier.unbounded) continue;
    if (closed && (closed.repeats || closed.alternates)) {
      return 'a repeated group may not itself repeat or alternate (nested quantifiers backtrack exponentially)';
    }
    stack[stack.length - 1].repeats = true;
    if (++unbounded > MAX_UNBOUNDED_QUANTIFIERS) return `at most ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (*, +, {n,}) are allowed`;
  }
  return null;
}

/** Why a rule regex is refused, or null when it is safe to run. */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > RULE_PATTERN_MAX_LENGTH) return `must be at most ${RULE_PATTERN_MAX_LENGTH} characters`;
  try {
    new RegExp(pattern, 'iu');
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  return checkStructure(pattern);
}

/** A matcher for a pattern unsafePatternReason accepted (throws otherwise). */
export function compileSafePattern(pattern: string): (value: string) => boolean {
  const reason = unsafePatternReason(pattern);
  if (reason) throw new Error(`regex ${reason}`);
  const regex = new RegExp(pattern, 'iu');
  return (value) => regex.test(value.slice(0, RULE_VALUE_MAX_LENGTH));
}

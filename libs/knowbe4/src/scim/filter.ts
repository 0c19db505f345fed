/** Quotes a value as a SCIM filter string literal (RFC 7644 §3.4.2.2 uses JSON string syntax). */
export function scimStringLiteral(value: string): string {
  return JSON.stringify(value);
}

/** `userName eq "…"` with quotes, backslashes and control characters escaped. */
export function userNameEqualsFilter(userName: string): string {
  return `userName eq ${scimStringLiteral(userName)}`;
}

/** Path selecting one member of a group, for PATCH remove. */
export function memberValuePath(userId: string): string {
  return `members[value eq ${scimStringLiteral(userId)}]`;
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const AUDIT_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.archived',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.member_added',
  'group.member_removed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** `knowbe4-console`: a change a sync saw in KnowBe4 that none of our writes made. */
export const AUDIT_ACTOR_TYPES = ['api_key', 'admin', 'roster_run', 'rule', 'knowbe4-console', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** Exactly one kind of source is set: the operation that made the change (with its roster run or rules), or the sync run that saw it. */
export interface AuditSource {
  operation_id?: string | null;
  roster_run_id?: string | null;
  rule_id?: string | null;
  sync_run_id?: string | null;
}

export interface AuditUserRef {
  id: string | null;
  /** Every id the user was known by when the entry was written (Reporting id, SCIM id): history looks them up. */
  ids: string[];
  email: string | null;
  employee_number: string | null;
}

export interface AuditGroupRef {
  id: string | null;
  name: string | null;
}

export interface AuditResource {
  user?: AuditUserRef | null;
  group?: AuditGroupRef | null;
}

export interface AuditChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** One entry as it is hashed: everything but `hash` itself. */
export interface AuditEntryContent {
  id: string;
  integrated_account_id: string;
  workspace_id: string;
  seq: string;
  occurred_at: string;
  type: AuditEventType;
  resource: AuditResource;
  changes: AuditChange[];
  actor: AuditActor;
  source: AuditSource;
  request_id: string | null;
  prev_hash: string | null;
}

export interface AuditEntry extends AuditEntryContent {
  hash: string;
}

/**
 * Canonical JSON (RFC 8785 style for the values an entry holds): object keys sorted by UTF-16 code units, no
 * whitespace, `undefined` members left out, strings and numbers as JSON.stringify writes them. An auditor can
 * recompute it in any language.
 */
export function auditCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : auditCanonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${auditCanonicalJson(record[key])}`).join(',')}}`;
}

/** The part of an entry its writer hashes: what changed, where and when (hex sha256 of its canonical JSON). */
export function auditEntryDigest(entry: Pick<AuditEntryContent, 'id' | 'integrated_account_id' | 'occurred_at' | 'type' | 'resource' | 'changes'>): string {
  const { id, integrated_account_id, occurred_at, type, resource, changes } = entry;
  return sha256Hex(auditCanonicalJson({ v: 1, id, integrated_account_id, occurred_at, type, resource, changes }));
}

/** Who and why, as the chain hashes it: the canonical JSON of {actor, request_id, source}. */
export function auditAttributionJson(entry: Pick<AuditEntryContent, 'actor' | 'request_id' | 'source'>): string {
  const { operation_id = null, roster_run_id = null, rule_id = null, sync_run_id = null } = entry.source;
  return auditCanonicalJson({ actor: { id: entry.actor.id, type: entry.actor.type }, request_id: entry.request_id, source: { operation_id, roster_run_id, rule_id, sync_run_id } });
}

/**
 * hash = hex sha256 of `prev_hash \n seq \n workspace_id \n attribution \n digest` (prev_hash empty for the first
 * entry): it covers every column of the entry and, through prev_hash, every entry before it. Postgres computes it at
 * append (audit_append); this recomputes it to verify.
 */
export function auditEntryHash(content: AuditEntryContent): string {
  return sha256Hex([content.prev_hash ?? '', content.seq, content.workspace_id, auditAttributionJson(content), auditEntryDigest(content)].join('\n'));
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export type ChainBreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';

export interface ChainBreak {
  id: string;
  seq: string;
  reason: ChainBreakReason;
}

/**
 * Walks one account's entries in seq order (fed in pages, so a long chain is checked in flat memory): each entry's
 * hash must be the hash of its content, its prev_hash the hash of the entry before and its seq one more.
 */
export class ChainVerifier {
  private previous: { seq: bigint; hash: string } | null;
  checked = 0;
  broken: ChainBreak | null = null;

  /** `after`: the head an earlier walk ended at (a checkpoint), else the chain starts at seq 1 with prev_hash null. */
  constructor(after?: { seq: string; hash: string | null }) {
    this.previous = after && after.hash !== null ? { seq: BigInt(after.seq), hash: after.hash } : null;
  }

  /** False once a break is found (the rest is not read). */
  accept(entry: AuditEntry): boolean {
    if (this.broken) return false;
    const expectedSeq = this.previous ? this.previous.seq + 1n : 1n;
    const expectedPrev = this.previous?.hash ?? null;
    let reason: ChainBreakReason | null = null;
    if (BigInt(entry.seq) !== expectedSeq) reason = 'seq_gap';
    else if (entry.prev_hash !== expectedPrev) reason = 'prev_hash_mismatch';
    else if (auditEntryHash(entry) !== entry.hash) reason = 'hash_mismatch';
    if (reason) {
      this.broken = { id: entry.id, seq: entry.seq, reason };
      return false;
    }
    this.checked += 1;
    this.previous = { seq: BigInt(entry.seq), hash: entry.hash };
    return true;
  }

  get head(): { seq: string; hash: string | null } {
    return this.previous ? { seq: this.previous.seq.toString(), hash: this.previous.hash } : { seq: '0', hash: null };
  }
}

/** What a checkpoint attests: this account's chain had this head at this time. */
export interface AuditCheckpointContent {
  integrated_account_id: string;
  seq: string;
  head_hash: string | null;
  at: string;
}

export function checkpointSignature(key: Buffer, checkpoint: AuditCheckpointContent): string {
  const { integrated_account_id, seq, head_hash, at } = checkpoint;
  return createHmac('sha256', key).update(auditCanonicalJson({ v: 1, integrated_account_id, seq, head_hash, at }), 'utf8').digest('hex');
}

export function checkpointSignatureValid(key: Buffer, checkpoint: AuditCheckpointContent, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = Buffer.from(checkpointSignature(key, checkpoint), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

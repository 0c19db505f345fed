import { createHash } from 'node:crypto';
import { auditAttributionJson, AuditEntry, AuditEntryContent, auditCanonicalJson, auditEntryDigest, auditEntryHash, ChainVerifier, checkpointSignature, checkpointSignatureValid } from './audit-chain';

function chain(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prev: string | null = null;
  for (let i = 1; i <= count; i++) {
    const content: AuditEntryContent = {
      id: `00000000-0000-4000-8000-00000000000${i}`,
      integrated_account_id: '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21',
      workspace_id: '5b0c8e62-3f1d-4a8e-9d7c-2f4f7f0e9a11',
      seq: String(i),
      occurred_at: '2026-11-28T08:00:00.000Z',
      type: 'user.updated',
      resource: { user: { id: '101', ids: ['101'], email: 'ada@example.com', employee_number: 'E1' } },
      changes: [{ field: 'department', from: 'R&D', to: `Dept ${i}` }],
      actor: { type: 'api_key', id: 'k1' },
      source: { operation_id: 'op' },
      request_id: null,
      prev_hash: prev,
    };
    const entry = { ...content, hash: auditEntryHash(content) };
    entries.push(entry);
    prev = entry.hash;
  }
  return entries;
}

describe('audit chain', () => {
  it('writes canonical JSON with sorted keys, no whitespace and undefined members left out', () => {
    expect(auditCanonicalJson({ b: 1, a: [true, null, 'x"y'], c: undefined, d: { z: 0, y: -1.5 } })).toBe('{"a":[true,null,"x\\"y"],"b":1,"d":{"y":-1.5,"z":0}}');
  });

  it('hashes prev_hash, seq, workspace, attribution and the digest of the content (recomputable outside this code)', () => {
    const [first, second] = chain(2);
    const digest = createHash('sha256')
      .update(auditCanonicalJson({ v: 1, id: second.id, integrated_account_id: second.integrated_account_id, occurred_at: second.occurred_at, type: second.type, resource: second.resource, changes: second.changes }))
      .digest('hex');
    const attribution = '{"actor":{"id":"k1","type":"api_key"},"request_id":null,"source":{"operation_id":"op","roster_run_id":null,"rule_id":null,"sync_run_id":null}}';
    expect(auditAttributionJson(second)).toBe(attribution);
    expect(auditEntryDigest(second)).toBe(digest);
    expect(second.hash).toBe(createHash('sha256').update([first.hash, '2', second.workspace_id, attribution, digest].join('\n')).digest('hex'));
  });

  it('accepts an intact chain and reports its head', () => {
    const verifier = new ChainVerifier();
    const entries = chain(3);
    expect(entries.every((entry) => verifier.accept(entry))).toBe(true);
    expect(verifier.head).toEqual({ seq: '3', hash: entries[2].hash });
  });

  it('names the entry whose content was changed', () => {
    const entries = chain(3);
    entries[1] = { ...entries[1], changes: [{ field: 'department', from: 'R&D', to: 'Sales' }] };
    const verifier = new ChainVerifier();
    entries.forEach((entry) => verifier.accept(entry));
    expect(verifier.broken).toEqual({ id: entries[1].id, seq: '2', reason: 'hash_mismatch' });
  });

  it('names the entry after a removed one, and one whose hash was recomputed breaks the next link', () => {
    const removed = chain(3);
    const verifier = new ChainVerifier();
    [removed[0], removed[2]].forEach((entry) => verifier.accept(entry));
    expect(verifier.broken).toMatchObject({ seq: '3', reason: 'seq_gap' });

    const rehashed = chain(3);
    const { hash: _old, ...content } = { ...rehashed[1], changes: [] };
    rehashed[1] = { ...content, hash: auditEntryHash(content) };
    const second = new ChainVerifier();
    rehashed.forEach((entry) => second.accept(entry));
    expect(second.broken).toMatchObject({ seq: '3', reason: 'prev_hash_mismatch' });
  });

  it('signs a checkpoint and refuses any other head, time or key', () => {
    const key = Buffer.alloc(32, 7);
    const checkpoint = { integrated_account_id: 'a', seq: '3', head_hash: 'f'.repeat(64), at: '2026-11-28T08:00:00.000Z' };
    const signature = checkpointSignature(key, checkpoint);
    expect(checkpointSignatureValid(key, checkpoint, signature)).toBe(true);
    expect(checkpointSignatureValid(key, { ...checkpoint, seq: '4' }, signature)).toBe(false);
    expect(checkpointSignatureValid(Buffer.alloc(32, 8), checkpoint, signature)).toBe(false);
    expect(checkpointSignatureValid(key, checkpoint, 'nothex')).toBe(false);
  });
});

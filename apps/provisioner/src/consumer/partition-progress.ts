/**
 * The offsets of one partition taken into work during one assignment, finishing out of order. Kafka may only be
 * told the offset after the longest finished prefix, so a crash or a rebalance never skips an unfinished command.
 */
export class PartitionProgress {
  private readonly offsets: bigint[] = [];
  private readonly done = new Set<bigint>();
  private head = 0;
  private highest = -1n;
  /** Set when the partition is revoked or rewound: its finished work may no longer move the commit. */
  abandoned = false;

  /** Takes an offset into work; offsets at or below one already taken are refused (a refetch). */
  take(offset: string): boolean {
    const value = BigInt(offset);
    if (value <= this.highest) return false;
    this.highest = value;
    this.offsets.push(value);
    return true;
  }

  /** Marks one offset finished; returns the offset to commit (next to read) when the finished prefix grew. */
  complete(offset: string): string | undefined {
    if (this.abandoned) return undefined;
    const value = BigInt(offset);
    this.done.add(value);
    const before = this.head;
    while (this.head < this.offsets.length && this.done.has(this.offsets[this.head])) {
      this.done.delete(this.offsets[this.head]);
      this.head += 1;
    }
    if (this.head === before) return undefined;
    const next = (this.offsets[this.head - 1] + 1n).toString();
    // Drop the finished prefix now and then so a long-lived assignment does not keep every offset it ever saw.
    if (this.head > 1024) {
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
    return next;
  }

  /** Offsets taken and not yet finished. */
  get unfinished(): number {
    return this.offsets.length - this.head - this.done.size;
  }

  /** The first unfinished offset, where a rewind restarts; undefined when all taken offsets finished. */
  get firstUnfinished(): string | undefined {
    return this.head < this.offsets.length ? this.offsets[this.head].toString() : undefined;
  }
}

import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields are counted from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used by a set of processes since the meter started, following processes that come and go (Postgres
 * backends of one database): each pid counts from its first reading to its last one, so a backend that exits between
 * two readings loses at most the CPU of that interval.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();

  constructor(private readonly pids: () => Promise<number[]> | number[]) {}

  /** Reads every current pid; returns CPU seconds used since each was first read. */
  async sample(): Promise<number> {
    for (const pid of await this.pids()) {
      const cpu = processCpuSeconds(pid);
      if (cpu === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, cpu);
      this.last.set(pid, cpu);
    }
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - this.first.get(pid)!;
    return total;
  }
}

/** Pids of the Postgres backends serving `database` (the bench's own database: other sessions' backends are left out). */
export async function postgresBackendPids(db: DataSource, database: string): Promise<number[]> {
  const rows = await db.query<Array<{ pid: number }>>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database]);
  return rows.map((row) => row.pid);
}

/** Prints a readable table, then design.md's one-line JSON result as the very last line. */
export function printReport(
  title: string,
  rows: Array<Record<string, string | number>>,
  result: { bench: string; metric: string; ratio: number; goal: string } & Record<string, unknown>,
): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => String(row[c])))}\n`);
  process.stdout.write(`\n${JSON.stringify({ ...result, ratio: Number(result.ratio.toFixed(3)) })}\n`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// `limit N per <column>` (EdgeLake member_cmd.process_limit L4817-4835): at most N rows for each value of the
// column, in the order the rows come. Applied by the operator to its rows and by the query node to the
// consolidated rows.

/** The rows kept: at most `limit` per value at position `at`. */
export function limitPer(rows: readonly unknown[][], at: number, limit: number): unknown[][] {
  const counts = new Map<unknown, number>();
  return rows.filter((r) => {
    const k = r[at] ?? null;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    return n <= limit;
  });
}

// EdgeLake's time partitions (edge_lake/dbms/partitions.py): `partition <dbms> <table> using <column> by <interval>`
// makes the operator put each row into a partition table named by the row's date, created on demand with the
// parent table's columns. The name, as `split_list` builds it:
//   par_<table>_<date key>_<unit char><count, 2 digits>_<column>
// where the date key is `get_year` / `get_year_month` / `get_year_month_day` / `get_year_month_day_hour` of the
// row's value: with a count of 1 the date's own parts (2026_01_20), with a count N > 1 the last part is the bucket
// index within the enclosing unit (`int((day - 1) / N)` for days, so `14 days` makes 2026_01_00, 2026_01_01 and
// 2026_01_02 in January; the year itself is `int(year / N)`).

/** EdgeLake's units (partitions.py `time_units`), singular. */
export type PartitionUnit = 'year' | 'month' | 'day' | 'hour';

export interface PartitionInterval {
  count: number;
  unit: PartitionUnit;
}

/** One `partition` command's declaration (table `*`: every table of the dbms). */
export interface PartitionDecl {
  dbms: string;
  table: string;
  column: string;
  interval: string;
}

const UNITS: Record<string, PartitionUnit> = {
  year: 'year',
  years: 'year',
  month: 'month',
  months: 'month',
  day: 'day',
  days: 'day',
  hour: 'hour',
  hours: 'hour',
};

/**
 * `14 days`, `day`, `12 hours`, `month`... (member_cmd.py `_partition_data`: one word is a count of 1).
 * EdgeLake refuses `week` ("use '7 days'"); here `N week(s)` is taken as the 7N days it suggests.
 * Undefined when not an interval.
 */
export function parseInterval(text: string): PartitionInterval | undefined {
  const m = /^\s*(?:(\d+)\s+)?([a-z]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const count = m[1] === undefined ? 1 : Number(m[1]);
  if (!Number.isSafeInteger(count) || count < 1) return undefined;
  const word = m[2]!.toLowerCase();
  if (word === 'week' || word === 'weeks') return count * 7 <= 99 ? { count: count * 7, unit: 'day' } : undefined;
  const unit = UNITS[word];
  // The name keeps the count in two digits (`%02u`): more would make names EdgeLake does not parse back.
  return unit && count <= 99 ? { count, unit } : undefined;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The date key of a `YYYY-MM-DD[ T]HH...` text (partitions.py `get_year` ... `get_year_month_day_hour`), or
 * undefined when the text is not such a date (EdgeLake: "Partition failed: Error in date provided").
 */
export function dateKey(date: string, iv: PartitionInterval): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}))?/.exec(date);
  if (!m) return undefined;
  const [, y, mo, d, h] = m as unknown as [string, string, string, string, string | undefined];
  const n = iv.count;
  switch (iv.unit) {
    case 'year':
      return n === 1 ? y : String(Math.floor(Number(y) / n));
    case 'month':
      return n === 1 ? `${y}_${mo}` : `${y}_${two(Math.floor((Number(mo) - 1) / n))}`;
    case 'day':
      return n === 1 ? `${y}_${mo}_${d}` : `${y}_${mo}_${two(Math.floor((Number(d) - 1) / n))}`;
    case 'hour':
      if (h === undefined) return undefined;
      return n === 1 ? `${y}_${mo}_${d}_${h}` : `${y}_${mo}_${d}_${two(Math.floor(Number(h) / n))}`;
  }
}

/** The partition table of `table` for a row dated `date` (partitions.py `split_list`), or undefined (bad date). */
export function partitionTable(table: string, column: string, iv: PartitionInterval, date: string): string | undefined {
  const key = dateKey(date, iv);
  return key === undefined ? undefined : `par_${table}_${key}_${iv.unit[0]}${two(iv.count)}_${column}`;
}

/**
 * The parent table of a partition table name (partitions.py `get_table_name_by_par_name`), or undefined when the
 * name is not a partition's.
 */
export function partitionParent(name: string): string | undefined {
  const m = /^par_(.+)_(\d{4}(?:_\d{2}){0,3})_([ymdh])\d{2}_[^_]+(?:_[^_]+)*$/.exec(name);
  if (!m) return undefined;
  // The date key has as many parts as the unit needs: year 1, month 2, day 3, hour 4.
  const parts = m[2]!.split('_').length;
  if (parts !== { y: 1, m: 2, d: 3, h: 4 }[m[3] as 'y' | 'm' | 'd' | 'h']) return undefined;
  return m[1];
}

/**
 * The declaration that partitions `dbms.table` (partitions.py `get_par_info`: the table, then `dbms.*`, then
 * `*.*`); a partition table itself is never partitioned (`is_partitioned`).
 */
export function partitionOf(list: readonly PartitionDecl[], dbms: string, table: string): PartitionDecl | undefined {
  if (table.startsWith('par_')) return undefined;
  return (
    list.find((p) => p.dbms === dbms && p.table === table) ??
    list.find((p) => p.dbms === dbms && p.table === '*') ??
    list.find((p) => p.dbms === '*' && p.table === '*')
  );
}

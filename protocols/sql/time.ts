// Time functions of EdgeLake's SELECT dialect, set by the node that issues the query so every operator
// compares against the same instant (utils_sql.process_date_time L1677+, utils_columns.get_diff_str):
//   now() [+|- <n> <unit> ...]    -> 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
//   date() [+|- <n> <unit> ...]   -> 'YYYY-MM-DD' (UTC)
//   <unit>: s|sec|second(s), m|min|minute(s), h|hour(s), d|day(s), w|week(s), month(s), y|year(s)
// Text inside quotes is left alone. EdgeLake writes the instant as ISO with 'T' and 'Z'; a space keeps it
// comparable with the timestamps SQLite operators store ('2025-01-01 10:00:00').
const UNIT: Record<string, 'ms' | 'month'> = {};
const MS: Record<string, number> = {};
for (const [names, ms] of [
  [['s', 'sec', 'second', 'seconds'], 1000],
  [['m', 'min', 'minute', 'minutes'], 60_000],
  [['h', 'hour', 'hours'], 3_600_000],
  [['d', 'day', 'days'], 86_400_000],
  [['w', 'week', 'weeks'], 7 * 86_400_000],
] as const) {
  for (const n of names) {
    UNIT[n] = 'ms';
    MS[n] = ms;
  }
}
for (const n of ['month', 'months']) UNIT[n] = 'month';
const YEARS = new Set(['y', 'year', 'years']);

const FN = /\b(now|date)\s*\(\s*\)((?:\s*[+-]\s*\d+\s*[a-z]+\b)*)/gi;
const STEP = /([+-])\s*(\d+)\s*([a-z]+)/gi;

const two = (n: number): string => String(n).padStart(2, '0');

/** Months added as Python's relativedelta does: the day kept, or the month's last day (Mar 31 - 1 month = Feb 28). */
function addMonths(t: Date, months: number): Date {
  const out = new Date(t.getTime());
  const day = t.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, last));
  return out;
}

function shift(t: Date, sign: number, n: number, unit: string): Date | undefined {
  const u = unit.toLowerCase();
  const out = new Date(t.getTime());
  if (UNIT[u] === 'ms') out.setTime(out.getTime() + sign * n * MS[u]!);
  else if (UNIT[u] === 'month') return addMonths(t, sign * n);
  else if (YEARS.has(u)) return addMonths(t, sign * n * 12);
  else return undefined;
  return out;
}

function literal(t: Date, dateOnly: boolean): string {
  const d = `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
  if (dateOnly) return `'${d}'`;
  const ms = String(t.getUTCMilliseconds()).padStart(3, '0');
  return `'${d} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${ms}000'`;
}

function resolvePart(text: string, now: Date): string {
  return text.replace(FN, (all, fn: string, steps: string) => {
    let t = now;
    for (const m of steps.matchAll(STEP)) {
      const next = shift(t, m[1] === '-' ? -1 : 1, Number(m[2]), m[3]!);
      if (!next) return all; // not a time unit: not ours to change
      t = next;
    }
    return literal(t, fn.toLowerCase() === 'date');
  });
}

/** The statement with now()/date() expressions replaced by UTC literals of `now`. */
export function resolveTimes(sql: string, now: Date): string {
  let out = '';
  let start = 0;
  let quote = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === quote) {
        out += sql.slice(start, i + 1);
        start = i + 1;
        quote = '';
      }
      continue;
    }
    if (c === "'" || c === '"') {
      out += resolvePart(sql.slice(start, i), now);
      start = i;
      quote = c;
    }
  }
  return out + (quote ? sql.slice(start) : resolvePart(sql.slice(start), now));
}

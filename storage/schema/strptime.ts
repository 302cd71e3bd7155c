// Python's `datetime.strptime` for the handful of formats EdgeLake's inference tries
// (generic/utils_data.py check_timestamp/check_date/check_time). CPython (Lib/_strptime.py) turns the
// format into a case-insensitive regex, requires the whole string to match, then builds a datetime,
// which rejects impossible dates, second 60/61, year 0 and offsets of 24 h or more.
import { EdgeRtError } from '../../base/errors.js';
import { PY_SPACE } from './python.js';

// Lib/_strptime.py TimeRE (ASCII digits only, see python.ts).
const DIRECTIVES: Readonly<Record<string, string>> = {
  Y: '(?<Y>\\d\\d\\d\\d)',
  m: '(?<m>1[0-2]|0[1-9]|[1-9])',
  d: '(?<d>3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])',
  H: '(?<H>2[0-3]|[0-1]\\d|\\d)',
  I: '(?<I>1[0-2]|0[1-9]|[1-9])',
  M: '(?<M>[0-5]\\d|\\d)',
  S: '(?<S>6[0-1]|[0-5]\\d|\\d)',
  f: '(?<f>[0-9]{1,6})',
  p: '(?<p>am|pm)',
  // `(?-i:Z)` in CPython: only an upper-case Z.
  z: '(?<z>[+-](?<zh>\\d\\d)(?<zc1>:?)(?<zm>[0-5]\\d)(?:(?<zc2>:?)(?<zs>[0-5]\\d)(?:\\.\\d{1,6})?)?|(?<zZ>Z))',
};

function compile(format: string): RegExp {
  let src = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i] ?? '';
    if (c === '%') {
      const d = DIRECTIVES[format[++i] ?? ''];
      if (d === undefined) throw new EdgeRtError(`strptime: unsupported directive in ${format}`);
      src += d;
    } else if (c === ' ') {
      src += `${PY_SPACE}+`;
    } else {
      src += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
  }
  // `zZ` must stay case-sensitive while the rest is not: checked after the match instead.
  return new RegExp(`^${src}$`, 'i');
}

/** The formats EdgeLake's checks use, compiled once (read-only after load). */
const COMPILED: ReadonlyMap<string, RegExp> = new Map(
  [
    '%Y-%m-%d %H:%M:%S%z',
    '%Y-%m-%dT%H:%M:%S.%f%z',
    '%Y-%m-%dT%H:%M:%S',
    '%m/%d/%Y %I:%M:%S %p %z',
    '%Y-%m-%d %H:%M:%S',
    '%Y-%m-%d %H:%M:%S.%f',
    '%Y-%m-%d',
    '%H:%M:%S',
  ].map((f) => [f, compile(f)]),
);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Would `datetime.strptime(text, format)` succeed? */
export function strptimeOk(text: string, format: string): boolean {
  const g = (COMPILED.get(format) ?? compile(format)).exec(text)?.groups;
  if (!g) return false;
  const year = g['Y'] !== undefined ? Number(g['Y']) : 1900;
  const month = g['m'] !== undefined ? Number(g['m']) : 1;
  const day = g['d'] !== undefined ? Number(g['d'].trim()) : 1;
  if (year < 1 || day > daysInMonth(year, month)) return false;
  if (g['S'] !== undefined && Number(g['S']) > 59) return false;
  if (g['z'] !== undefined) {
    if (g['zZ'] !== undefined) return g['zZ'] === 'Z';
    // CPython: "Inconsistent use of :" when only one of the two separators is there.
    if (g['zs'] !== undefined && g['zc1'] !== g['zc2']) return false;
    const offset = Number(g['zh']) * 3600 + Number(g['zm']) * 60 + Number(g['zs'] ?? 0);
    // datetime.timezone only takes offsets strictly within one day.
    if (offset >= 86400) return false;
  }
  return true;
}

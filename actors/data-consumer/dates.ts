// The dates of the data consumer and `time file get` (seed 003: "YY-MM-DD HH:MM:SS or by subtracting time from the
// current time, for example: -30d"), UTC like tsd_info.file_time:
//   -<n><unit>           back from now: s|sec|second(s), m|min|minute(s), h|hour(s), d|day(s), w|week(s)
//                        (`-3d`, `-2 hours`; a bare `-3` is days)
//   now
//   YY-MM-DD[ HH:MM[:SS]]  or  YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]  (a `T` may replace the space, a `Z` may end it)
import { ConfigError } from '../../base/errors.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const ABSOLUTE = /^(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?Z?$/i;

/** The time `text` names, relative to `now` (epoch ms). Throws ConfigError naming `what`. */
export function parseDate(text: string, now: number, what = 'date'): Date {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return new Date(now);
  const rel = /^-\s*(\d+)\s*([a-z]*)$/i.exec(t);
  if (rel) {
    const ms = UNIT_MS[(rel[2] || 'd').toLowerCase()];
    if (ms !== undefined) return new Date(now - Number(rel[1]) * ms);
  }
  const m = ABSOLUTE.exec(t);
  if (m) {
    const year = m[1]!.length === 2 ? 2000 + Number(m[1]) : Number(m[1]);
    const [mo, d, h, mi, s] = [m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s, ms));
    if (date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60) return date;
  }
  throw new ConfigError(`${what}: expected a date like -3d, now or YY-MM-DD HH:MM:SS (got ${JSON.stringify(text)})`);
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC, one word: safe inside a command sent to a peer). */
export function dateWord(d: Date): string {
  return d.toISOString().slice(0, 19);
}

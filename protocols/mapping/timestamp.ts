// Timestamp values of mapped columns (EdgeLake mapping_policy.py L912-945 get_formatted_val, utils_columns.py
// L2041-2068 time_iso_format, L2273-2305 accepted formats; spec section 6 "Rows"):
//   ISO text accepted by EdgeLake's UTC or local format checks  -> kept exactly as given:
//     YYYY-MM-DDTHH:MM:SS[.f{1,6}][Z]  YYYY-MM-DDTHH:MM:SS.fffffffZ  YYYY-MM-DDT
//     YYYY-MM-DD HH:MM:SS[.f{1,6}]     YYYY-MM-DD
//   date-time with a +hh:mm / -hh:mm offset  -> UTC `YYYY-MM-DDTHH:MM:SS`, plus the fraction as given and
//     `Z` only when a fraction was given (`..02:00:00.5+02:00` -> `..00:00:00.5Z`)
//   an integer, or a string of digits       -> milliseconds since the epoch
//   anything else                            -> not a timestamp (error 124)
// Divergences, because EdgeLake loses data here: milliseconds keep their sub-second part and render as UTC
// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (EdgeLake truncates to whole seconds and renders node-local time without a
// zone, so the value depended on the node's TZ); 0 ms is 1970-01-01 (EdgeLake's truthiness test refused it);
// `±hhmm` offsets are converted like `±hh:mm` (EdgeLake kept them as given).

const DATE = String.raw`(\d{4})-(\d{2})-(\d{2})`;
const TIME = String.raw`(\d{2}):(\d{2}):(\d{2})`;
/** Forms kept as given. Groups: year, month, day, then hour, minute, second when present. */
const KEPT: readonly RegExp[] = [
  new RegExp(`^${DATE}T${TIME}(?:\\.\\d{1,6})?Z?$`),
  new RegExp(`^${DATE}T${TIME}\\.\\d{7}Z$`), // EdgeLake drops the 7th digit only for its check (L2016)
  new RegExp(`^${DATE}T$`),
  new RegExp(`^${DATE} ${TIME}(?:\\.\\d{1,6})?$`),
  new RegExp(`^${DATE}$`),
];
// Python's datetime.fromisoformat as EdgeLake uses it: seconds optional, any fraction length.
const WITH_OFFSET = new RegExp(`^${DATE}[T ](\\d{2}):(\\d{2})(?::(\\d{2})(\\.\\d+)?)?([+-])(\\d{2}):?(\\d{2})$`);
const DIGITS = /^-?[0-9]+$/;

/** The reason a value is not a timestamp (a value, not an exception: see result.ts). */
export class TimestampFailure {
  constructor(readonly reason: string) {}
}

/** `now` in EdgeLake's format: `YYYY-MM-DDTHH:MM:SS.ffffffZ` UTC (utils_columns.get_current_utc_time). */
export function formatNow(now: Date): string {
  const iso = now.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return iso.slice(0, 23) + '000Z';
}

export function toTimestamp(v: unknown): string | TimestampFailure {
  if (typeof v === 'number') return fromMillis(v, v);
  if (typeof v !== 'string') return new TimestampFailure(`${describe(v)} is not a timestamp`);
  if (DIGITS.test(v)) return fromMillis(Number(v), v);
  for (const re of KEPT) {
    const m = re.exec(v);
    if (m) return validFields(m) ? v : new TimestampFailure(`'${v}' is not a valid date and time`);
  }
  const m = WITH_OFFSET.exec(v);
  if (m) return fromOffset(v, m);
  return new TimestampFailure(`'${v}' is not a timestamp (ISO date-time, +hh:mm offset, or epoch milliseconds)`);
}

function fromMillis(ms: number, given: unknown): string | TimestampFailure {
  if (!Number.isFinite(ms)) return new TimestampFailure(`${describe(given)} is not a timestamp`);
  const micros = Math.round(ms * 1000);
  const whole = Math.floor(micros / 1000);
  const d = new Date(whole);
  const iso = Number.isNaN(d.getTime()) ? '' : d.toISOString();
  if (iso.length !== 24 || iso[0] === '+' || iso[0] === '-' || iso.startsWith('0000')) {
    return new TimestampFailure(`${describe(given)} milliseconds is outside years 0001-9999`);
  }
  return iso.slice(0, 23) + String(micros - whole * 1000).padStart(3, '0') + 'Z';
}

function fromOffset(v: string, m: RegExpExecArray): string | TimestampFailure {
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const oh = Number(m[9]);
  const om = Number(m[10]);
  if (!calendarOk(y!, mo!, d!, h!, mi!, s) || oh > 23 || om > 59) {
    return new TimestampFailure(`'${v}' is not a valid date and time`);
  }
  const sign = m[8] === '-' ? -1 : 1;
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s) - sign * (oh * 60 + om) * 60_000;
  const iso = new Date(utc).toISOString();
  if (iso.length !== 24 || iso[0] === '+' || iso[0] === '-') return new TimestampFailure(`'${v}' is out of range`);
  const fraction = m[7];
  return iso.slice(0, 19) + (fraction === undefined ? '' : fraction + 'Z');
}

function validFields(m: RegExpExecArray): boolean {
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  return calendarOk(n(1), n(2), n(3), n(4), n(5), n(6));
}

function calendarOk(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate(); // days in month (leap year 2000 for Feb)
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && !leap ? 28 : days);
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

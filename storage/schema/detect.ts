// The string recognisers of EdgeLake's type inference (generic/utils_data.py L509-646), with the
// behaviour of the Python library calls they wrap: uuid.UUID(), ipaddress.ip_address(),
// datetime.strptime(). Where EdgeLake raises out of a check (IndexError or ValueError inside
// check_timestamp on strings such as "1234-+01:00"), the check answers "no" here: EdgeLake would abort
// the whole file, edgelake-rt types that one value as text.
import { pyInt, pyIsDigit, pyNumStrip } from './python.js';
import { strptimeOk } from './strptime.js';

/** utils_data.check_uuid: does `uuid.UUID(s)` accept it (Python 3.11 Lib/uuid.py)? */
export function isUuidText(s: string): boolean {
  let hex = s.replace(/urn:/g, '').replace(/uuid:/g, '');
  hex = hex.replace(/^[{}]+|[{}]+$/g, '').replace(/-/g, '');
  if (Array.from(hex).length !== 32) return false;
  // int(hex, 16): whitespace, a sign, an optional 0x prefix, underscores between digits.
  const m = /^([+-]?)(?:0[xX]_?)?([0-9a-fA-F](?:_?[0-9a-fA-F])*)$/.exec(pyNumStrip(hex));
  if (!m) return false;
  // The value must lie in [0, 2**128): only zero may carry a minus sign.
  return m[1] !== '-' || /^[0_]+$/.test(m[2] ?? '');
}

function ipv4Int(s: string): number | undefined {
  const octets = s.split('.');
  if (octets.length !== 4) return undefined;
  let v = 0;
  for (const o of octets) {
    // Lib/ipaddress.py _parse_octet: ASCII digits, at most 3, no leading zero, at most 255.
    if (!/^[0-9]{1,3}$/.test(o) || (o !== '0' && o.startsWith('0')) || Number(o) > 255) return undefined;
    v = v * 256 + Number(o);
  }
  return v;
}

function isIpv6(s: string): boolean {
  const pct = s.indexOf('%');
  let addr = s;
  if (pct !== -1) {
    const scope = s.slice(pct + 1);
    if (scope === '' || scope.includes('%')) return false;
    addr = s.slice(0, pct);
  }
  if (addr === '') return false;
  const parts = addr.split(':');
  if (parts.length < 3) return false;
  const last = parts[parts.length - 1] ?? '';
  if (last.includes('.')) {
    const v4 = ipv4Int(last);
    if (v4 === undefined) return false;
    parts.splice(parts.length - 1, 1, (v4 >>> 16).toString(16), (v4 & 0xffff).toString(16));
  }
  if (parts.length > 9) return false;
  let skip: number | undefined;
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] === '') {
      if (skip !== undefined) return false; // at most one '::'
      skip = i;
    }
  }
  let hi: number;
  let lo: number;
  if (skip !== undefined) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (parts[0] === '' && --hi !== 0) return false; // a leading ':' only as '::'
    if (parts[parts.length - 1] === '' && --lo !== 0) return false;
    if (8 - (hi + lo) < 1) return false;
  } else {
    if (parts.length !== 8 || parts[0] === '' || parts[7] === '') return false;
    hi = parts.length;
    lo = 0;
  }
  const used = [...parts.slice(0, hi), ...parts.slice(parts.length - lo)];
  return used.every((h) => /^[0-9a-fA-F]{1,4}$/.test(h));
}

/** utils_data.check_ip_address: `ipaddress.ip_address(s)` (IPv4, then IPv6 with an optional %scope). */
export function isIpText(s: string): boolean {
  if (s.includes('/')) return false;
  return ipv4Int(s) !== undefined || isIpv6(s);
}

/** utils_data.check_date: 10 characters, `YYYY-MM-DD`, a real date. */
export function isDateText(s: string): boolean {
  const c = Array.from(s);
  return c.length === 10 && c[4] === '-' && c[7] === '-' && strptimeOk(s, '%Y-%m-%d');
}

/** utils_data.check_time: the text before the first '.' is `%H:%M:%S`. */
export function isTimeText(s: string): boolean {
  return strptimeOk(s.split('.')[0] ?? '', '%H:%M:%S');
}

const OFFSET_FORMATS = [
  '%Y-%m-%d %H:%M:%S%z',
  '%Y-%m-%dT%H:%M:%S.%f%z',
  '%Y-%m-%dT%H:%M:%S',
  '%m/%d/%Y %I:%M:%S %p %z',
];

/** utils_data.check_timestamp (L509-583), step by step; indexes are code points. */
export function isTimestampText(value: string): boolean {
  let line = Array.from(value);
  let length = line.length;
  if (length <= 10) return false;
  // Python's negative indexing; undefined stands for IndexError, which makes the check fail.
  const at = (i: number): string | undefined => line[i < 0 ? line.length + i : i];
  const slice = (a: number, b?: number): string => line.slice(a, b).join('');
  if (at(-6) === '+' || at(-6) === '-') {
    if (OFFSET_FORMATS.some((f) => strptimeOk(value, f))) return true;
  }
  if (at(-3) === ':' && (at(-6) === '+' || at(-6) === '-') && pyIsDigit(slice(-2)) && pyIsDigit(slice(-5, -3))) {
    line = line.slice(0, -6); // a UTC offset like +04:00
    length -= 6;
  }
  let dateLength = at(-1) === 'Z' ? length - 1 : length;
  const lastDigit = at(dateLength - 1);
  if (!(at(4) === '-' && at(7) === '-' && lastDigit !== undefined && pyIsDigit(lastDigit))) return false;
  if (dateLength >= 27) dateLength = 26; // "strptime doesn't take 27 chars"
  let dateStr: string;
  if (at(10) === 'T') {
    dateStr = slice(0, 10) + ' ' + slice(11, dateLength);
  } else {
    if (at(-6) === '+') {
      const h = pyInt(slice(-2));
      const m = pyInt(slice(-5, -3));
      if (h === undefined || m === undefined) return false; // int() raises in EdgeLake
      if (h >= 0 && m >= 0) dateLength -= 6;
    }
    dateStr = slice(0, dateLength);
  }
  if (dateLength === 19) return strptimeOk(dateStr, '%Y-%m-%d %H:%M:%S');
  const n = Array.from(dateStr).length;
  if (dateLength > 19 && Array.from(dateStr)[19] === '.' && n >= 21 && n <= 27) {
    return strptimeOk(dateStr, '%Y-%m-%d %H:%M:%S.%f');
  }
  return false;
}

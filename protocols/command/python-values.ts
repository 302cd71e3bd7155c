// Values of the `python <expr>` subset and what they do: Python's str() of a value, truthiness, comparison,
// arithmetic, string and list methods, the builtins int/str/len/float/bool (see python-expr.ts for the grammar).
import { PyError, type PyVal } from './python-lex.js';

export const isStr = (v: PyVal): v is string => typeof v === 'string';
export const isNum = (v: PyVal): v is number => typeof v === 'number';

/** Python's str() of a value. */
export function pyStrOf(v: PyVal, nested = false): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return nested ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatRepr(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyStrOf(x, true)).join(', ')}]`;
  return String(v.int);
}

export const floatRepr = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

export const truthy = (v: PyVal): boolean =>
  v === null ? false : Array.isArray(v) ? v.length > 0 : typeof v === 'object' ? v.int !== 0n : Boolean(v);

/** Floats that came from a literal with a dot (`2.0`) stay floats when printed. */
export class Float {
  constructor(readonly n: number) {}
}

export type V = PyVal | Float;
export const num = (v: V): number | undefined =>
  v instanceof Float ? v.n : isNum(v as PyVal) ? (v as number) : undefined;
export const plain = (v: V): PyVal => (v instanceof Float ? v.n : v);

export function index(len: number, i: number): number {
  const k = i < 0 ? len + i : i;
  if (k < 0 || k >= len) throw new PyError('index out of range');
  return k;
}

export function sliceOf<T>(xs: T[], a: number | undefined, b: number | undefined): T[] {
  const n = xs.length;
  const norm = (x: number | undefined, d: number): number =>
    x === undefined ? d : x < 0 ? Math.max(0, n + x) : Math.min(n, x);
  return xs.slice(norm(a, 0), norm(b, n));
}

export function callMethod(target: PyVal, name: string, args: PyVal[]): PyVal {
  if (Array.isArray(target)) {
    if (name === 'index') {
      const i = target.findIndex((x) => pyStrOf(x, true) === pyStrOf(args[0] ?? null, true));
      if (i < 0) throw new PyError('value not in list');
      return i;
    }
    if (name === 'count') return target.filter((x) => pyStrOf(x, true) === pyStrOf(args[0] ?? null, true)).length;
    throw new PyError(`list has no method '${name}'`);
  }
  if (!isStr(target)) throw new PyError(`'${name}' needs a string`);
  const s = target;
  const a0 = args[0];
  const strArg = (v: PyVal | undefined): string => {
    if (!isStr(v ?? null)) throw new PyError(`${name}: expected a string argument`);
    return v as string;
  };
  const chars = a0 === undefined || a0 === null ? undefined : strArg(a0);
  const trimSet = (t: string, left: boolean, right: boolean): string => {
    if (chars === undefined) return left && right ? t.trim() : left ? t.trimStart() : t.trimEnd();
    let i = 0;
    let j = t.length;
    while (left && i < j && chars.includes(t[i]!)) i++;
    while (right && j > i && chars.includes(t[j - 1]!)) j--;
    return t.slice(i, j);
  };
  switch (name) {
    case 'split':
    case 'rsplit': {
      const max = args[1] === undefined ? -1 : Number(args[1]);
      if (a0 === undefined || a0 === null) {
        const parts = s
          .trim()
          .split(/\s+/)
          .filter((x) => x !== '');
        return max < 0 ? parts : [...parts.slice(0, max), parts.slice(max).join(' ')].filter((x) => x !== '');
      }
      const sep = strArg(a0);
      if (sep === '') throw new PyError('empty separator');
      const parts = s.split(sep);
      if (max < 0 || parts.length <= max + 1) return parts;
      return name === 'split'
        ? [...parts.slice(0, max), parts.slice(max).join(sep)]
        : [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)];
    }
    case 'strip':
      return trimSet(s, true, true);
    case 'lstrip':
      return trimSet(s, true, false);
    case 'rstrip':
      return trimSet(s, false, true);
    case 'lower':
      return s.toLowerCase();
    case 'upper':
      return s.toUpperCase();
    case 'title':
      return s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, l: string) => p + l.toUpperCase());
    case 'capitalize':
      return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
    case 'replace':
      return s.split(strArg(a0)).join(strArg(args[1]));
    case 'startswith':
      return s.startsWith(strArg(a0));
    case 'endswith':
      return s.endsWith(strArg(a0));
    case 'find':
      return s.indexOf(strArg(a0));
    case 'rfind':
      return s.lastIndexOf(strArg(a0));
    case 'count':
      return s.split(strArg(a0)).length - 1;
    case 'isdigit':
      return /^\d+$/.test(s);
    case 'isalpha':
      return /^[A-Za-z]+$/.test(s);
    case 'zfill':
      return s.padStart(Number(a0), '0');
    case 'join':
      if (!Array.isArray(a0) || !a0.every(isStr)) throw new PyError('join: expected a list of strings');
      return a0.join(s);
    default:
      throw new PyError(`string has no method '${name}' here`);
  }
}

export function compare(op: string, a: V, b: V): boolean {
  const na = num(a);
  const nb = num(b);
  if (op === 'in' || op === 'not in') {
    const pb = plain(b);
    const pa = plain(a);
    let r: boolean;
    if (isStr(pb)) r = isStr(pa) && pb.includes(pa);
    else if (Array.isArray(pb)) r = pb.some((x) => pyStrOf(x, true) === pyStrOf(pa, true));
    else throw new PyError(`'in' needs a string or a list`);
    return op === 'in' ? r : !r;
  }
  let c: number;
  if (na !== undefined && nb !== undefined) c = na - nb;
  else if (isStr(plain(a)) && isStr(plain(b))) {
    const x = plain(a) as string;
    const y = plain(b) as string;
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (op === '==' || op === '!=') {
    const eq = pyStrOf(plain(a), true) === pyStrOf(plain(b), true) && typeof plain(a) === typeof plain(b);
    return op === '==' ? eq : !eq;
  } else throw new PyError(`cannot compare with '${op}'`);
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

export function arith(op: string, a: V, b: V): V {
  const pa = plain(a);
  const pb = plain(b);
  if (op === '+' && isStr(pa) && isStr(pb)) return pa + pb;
  if (op === '+' && Array.isArray(pa) && Array.isArray(pb)) return [...pa, ...pb];
  if (op === '*' && isStr(pa) && num(b) !== undefined) return pa.repeat(Math.max(0, num(b)!));
  const x = num(a);
  const y = num(b);
  if (x === undefined || y === undefined) throw new PyError(`unsupported operand types for ${op}`);
  const float = a instanceof Float || b instanceof Float;
  const wrap = (n: number): V => (float ? new Float(n) : n);
  switch (op) {
    case '+':
      return wrap(x + y);
    case '-':
      return wrap(x - y);
    case '*':
      return wrap(x * y);
    case '/':
      if (y === 0) throw new PyError('division by zero');
      return new Float(x / y);
    case '//':
      if (y === 0) throw new PyError('division by zero');
      return wrap(Math.floor(x / y));
    default:
      if (y === 0) throw new PyError('modulo by zero');
      return wrap(x - y * Math.floor(x / y));
  }
}

export function builtin(name: string, args: V[]): V {
  const a = args[0];
  if (a === undefined) throw new PyError(`${name}() needs an argument`);
  const p = plain(a);
  switch (name) {
    case 'len':
      if (isStr(p) || Array.isArray(p)) return p.length;
      throw new PyError('len() needs a string or a list');
    case 'str':
      return a instanceof Float ? floatRepr(a.n) : pyStrOf(p);
    case 'int': {
      if (num(a) !== undefined) return Math.trunc(num(a)!);
      if (isStr(p) && /^\s*[-+]?\d+\s*$/.test(p)) return Number.parseInt(p, 10);
      throw new PyError(`invalid literal for int(): '${pyStrOf(p)}'`);
    }
    case 'float': {
      if (num(a) !== undefined) return new Float(num(a)!);
      if (isStr(p) && p.trim() !== '' && Number.isFinite(Number(p))) return new Float(Number(p));
      throw new PyError(`could not convert string to float: '${pyStrOf(p)}'`);
    }
    case 'bool':
      return truthy(p);
    default:
      throw new PyError(`'${name}' is not available`);
  }
}

// A safe subset of Python expressions for EdgeLake's `python <expr>` (member_cmd.py `_python`, utils_python.py
// `al_python`: `!name` replaced by its quoted value, then `eval`). Here nothing is ever executed: the text is
// parsed into this grammar and evaluated over plain values; anything else is an error.
//   expr    := or ; or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | cmp
//   cmp     := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not in') sum)*
//   sum     := term (('+'|'-') term)* ; term := unary (('*'|'/'|'//'|'%') unary)* ; unary := '-' unary | postfix
//   postfix := atom ('[' index | slice ']' | '.' method '(' args ')')*
//   atom    := string | number | True | False | None | '(' expr ')' | '[' list ']' | int|str|len|float|bool '(' args ')'
// Methods: string split rsplit strip lstrip rstrip lower upper title capitalize replace startswith endswith find
// rfind count isdigit isalpha zfill join; list index/count. The result prints as Python's str() does.
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export type PyVal = string | number | boolean | null | PyVal[] | { int: bigint };

class PyError extends CommandError {
  constructor(message: string) {
    super(`python: ${message}`, { code: Status.ProcessFailure });
  }
}

interface Tok {
  k: 'str' | 'num' | 'name' | 'op';
  v: string;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        s += src[j++];
      }
      if (j >= src.length) throw new PyError(`unterminated string in: ${src}`);
      out.push({ k: 'str', v: s });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d*)?/.exec(src.slice(i));
    if (num) {
      out.push({ k: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (name) {
      out.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(\/\/|==|!=|<=|>=|[-+*/%<>()[\]:,.])/.exec(src.slice(i));
    if (!op) throw new PyError(`unexpected '${c}' in: ${src}`);
    out.push({ k: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}

const isStr = (v: PyVal): v is string => typeof v === 'string';
const isNum = (v: PyVal): v is number => typeof v === 'number';

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

const floatRepr = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

const truthy = (v: PyVal): boolean =>
  v === null ? false : Array.isArray(v) ? v.length > 0 : typeof v === 'object' ? v.int !== 0n : Boolean(v);

/** Floats that came from a literal with a dot (`2.0`) stay floats when printed. */
class Float {
  constructor(readonly n: number) {}
}

type V = PyVal | Float;
const num = (v: V): number | undefined => (v instanceof Float ? v.n : isNum(v as PyVal) ? (v as number) : undefined);
const plain = (v: V): PyVal => (v instanceof Float ? v.n : v);

function index(len: number, i: number): number {
  const k = i < 0 ? len + i : i;
  if (k < 0 || k >= len) throw new PyError('index out of range');
  return k;
}

function sliceOf<T>(xs: T[], a: number | undefined, b: number | undefined): T[] {
  const n = xs.length;
  const norm = (x: number | undefined, d: number): number =>
    x === undefined ? d : x < 0 ? Math.max(0, n + x) : Math.min(n, x);
  return xs.slice(norm(a, 0), norm(b, n));
}

function callMethod(target: PyVal, name: string, args: PyVal[]): PyVal {
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

function compare(op: string, a: V, b: V): boolean {
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

function arith(op: string, a: V, b: V): V {
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

function builtin(name: string, args: V[]): V {
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

/** Evaluates `src` (already with `!name` values substituted as quoted strings) and returns Python's str() of it. */
export function evalPython(src: string): string {
  const toks = lex(src);
  let i = 0;
  const peek = (v?: string): boolean => toks[i] !== undefined && (v === undefined || toks[i]!.v === v);
  const eat = (v: string): void => {
    if (toks[i]?.v !== v) throw new PyError(`expected '${v}' in: ${src}`);
    i++;
  };
  const args = (): V[] => {
    const out: V[] = [];
    eat('(');
    while (!peek(')')) {
      out.push(expr());
      if (!peek(')')) eat(',');
    }
    eat(')');
    return out;
  };
  const atom = (): V => {
    const t = toks[i++];
    if (!t) throw new PyError(`unexpected end of: ${src}`);
    if (t.k === 'str') {
      let s = t.v;
      while (toks[i]?.k === 'str') s += toks[i++]!.v; // adjacent literals join, as in Python
      return s;
    }
    if (t.k === 'num') return t.v.includes('.') ? new Float(Number(t.v)) : Number(t.v);
    if (t.k === 'name') {
      if (t.v === 'True') return true;
      if (t.v === 'False') return false;
      if (t.v === 'None') return null;
      if (['int', 'str', 'len', 'float', 'bool'].includes(t.v) && peek('(')) return builtin(t.v, args());
      throw new PyError(`name '${t.v}' is not available`);
    }
    if (t.v === '(') {
      const v = expr();
      eat(')');
      return v;
    }
    if (t.v === '[') {
      const out: PyVal[] = [];
      while (!peek(']')) {
        out.push(plain(expr()));
        if (!peek(']')) eat(',');
      }
      eat(']');
      return out;
    }
    throw new PyError(`unexpected '${t.v}' in: ${src}`);
  };
  const intOf = (v: V): number => {
    const n = num(v);
    if (n === undefined || !Number.isInteger(n)) throw new PyError('indices must be integers');
    return n;
  };
  const postfix = (): V => {
    let v = atom();
    for (;;) {
      if (peek('[')) {
        i++;
        const p = plain(v);
        if (!isStr(p) && !Array.isArray(p)) throw new PyError('only strings and lists can be indexed');
        const a = peek(':') ? undefined : intOf(expr());
        if (peek(':')) {
          i++;
          const b = peek(']') ? undefined : intOf(expr());
          eat(']');
          v = isStr(p) ? sliceOf([...p], a, b).join('') : sliceOf(p, a, b);
          continue;
        }
        eat(']');
        v = isStr(p) ? p[index(p.length, a!)]! : p[index(p.length, a!)]!;
        continue;
      }
      if (peek('.')) {
        i++;
        const m = toks[i++];
        if (m?.k !== 'name') throw new PyError(`expected a method name in: ${src}`);
        v = callMethod(plain(v), m.v, args().map(plain));
        continue;
      }
      return v;
    }
  };
  const unary = (): V => {
    if (peek('-')) {
      i++;
      return arith('-', 0, unary());
    }
    if (peek('+')) {
      i++;
      return unary();
    }
    return postfix();
  };
  const term = (): V => {
    let v = unary();
    while (peek('*') || peek('/') || peek('//') || peek('%')) v = arith(toks[i++]!.v, v, unary());
    return v;
  };
  const sum = (): V => {
    let v = term();
    while (peek('+') || peek('-')) v = arith(toks[i++]!.v, v, term());
    return v;
  };
  const cmp = (): V => {
    const first = sum();
    let left = first;
    let result: boolean | undefined;
    for (;;) {
      let op: string | undefined;
      if (['==', '!=', '<', '<=', '>', '>='].some((o) => peek(o)) && toks[i]!.k === 'op') op = toks[i++]!.v;
      else if (peek('in') && toks[i]!.k === 'name') {
        i++;
        op = 'in';
      } else if (peek('not') && toks[i + 1]?.v === 'in') {
        i += 2;
        op = 'not in';
      }
      if (!op) break;
      const right = sum();
      const r = compare(op, left, right);
      result = (result ?? true) && r;
      left = right;
    }
    return result === undefined ? first : result;
  };
  const not = (): V => {
    if (peek('not') && toks[i]!.k === 'name') {
      i++;
      return !truthy(plain(not()));
    }
    return cmp();
  };
  const and = (): V => {
    let v = not();
    while (peek('and') && toks[i]!.k === 'name') {
      i++;
      const r = not();
      v = truthy(plain(v)) ? r : v;
    }
    return v;
  };
  const expr = (): V => {
    let v = and();
    while (peek('or') && toks[i]!.k === 'name') {
      i++;
      const r = and();
      v = truthy(plain(v)) ? v : r;
    }
    return v;
  };
  if (toks.length === 0) throw new PyError('empty expression');
  const v = expr();
  if (i < toks.length) throw new PyError(`unexpected '${toks[i]!.v}' in: ${src}`);
  return v instanceof Float ? floatRepr(v.n) : pyStrOf(v);
}

/**
 * EdgeLake's make_python_command (params.py): each `!name` (letters, `_`, `-`, `@`) becomes its value in quotes,
 * kept as is when the value is already quoted.
 */
export function substitutePython(text: string, resolve: (word: string) => string): string {
  return text.replace(/![A-Za-z_\-@]+/g, (ref) => {
    const v = resolve(ref).replace(/[\n\r]/g, ' ');
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v;
    return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  });
}

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
import { lex, PyError, type PyVal } from './python-lex.js';
import {
  isStr,
  pyStrOf,
  floatRepr,
  truthy,
  Float,
  type V,
  num,
  plain,
  index,
  sliceOf,
  callMethod,
  compare,
  arith,
  builtin,
} from './python-values.js';

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

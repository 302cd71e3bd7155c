// Conditions of `if` (cmd/member_cmd.py L14969-15045):
//   cond    := or
//   or      := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' or ')' | compare
//   compare := operand [op operand]      a lone operand is true unless '' or 'false'
//   op      := == != > >= < <= contains startswith endswith childfrom
// Values compare as text unless an operand was cast with .int or .float (EdgeLake: `if !n > 9`
// with n = 12.7 is false, `!n.int > 9` with n = 12 is true).
import { CommandSyntaxError, tokenize, type Token } from './lexer.js';
import { parseVarRef } from './dictionary.js';

export type Resolve = (word: string) => string;

type Node =
  | { k: 'or' | 'and'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; op: string; a: Operand; b: Operand }
  | { k: 'truthy'; a: Operand };

interface Operand {
  tok: Token;
  numeric: boolean;
}

const WORD_OPS = new Set(['contains', 'startswith', 'endswith', 'childfrom']);
const SYM_OPS = new Set(['==', '!=', '>', '>=', '<', '<=']);

export function parseCondition(text: string, basePos = 0): Node {
  const toks = tokenize(text, { comparisons: true }).map((t) => ({ ...t, pos: t.pos + basePos }));
  let i = 0;
  const peekWord = (w: string): boolean => toks[i]?.kind === 'word' && toks[i]!.text.toLowerCase() === w;
  const operand = (): Operand => {
    const t = toks[i++];
    if (!t || t.kind === 'op')
      throw new CommandSyntaxError('expected a value in the condition', t?.pos ?? basePos + text.length);
    const numeric =
      t.kind === 'word' && /^[!$]/.test(t.text) && ['int', 'float'].includes(parseVarRef(t.text.slice(1)).cast ?? '');
    return { tok: t, numeric };
  };
  const unary = (): Node => {
    if (peekWord('not')) {
      i++;
      return { k: 'not', a: unary() };
    }
    const t = toks[i];
    if (t?.kind === 'group') {
      i++;
      return parseCondition(t.text, t.pos + 1);
    }
    const a = operand();
    const opTok = toks[i];
    if (
      opTok &&
      ((opTok.kind === 'op' && SYM_OPS.has(opTok.text)) ||
        (opTok.kind === 'word' && WORD_OPS.has(opTok.text.toLowerCase())))
    ) {
      i++;
      const b = operand();
      return { k: 'cmp', op: opTok.text.toLowerCase(), a, b };
    }
    return { k: 'truthy', a };
  };
  const and = (): Node => {
    let n = unary();
    while (peekWord('and')) {
      i++;
      n = { k: 'and', a: n, b: unary() };
    }
    return n;
  };
  const or = (): Node => {
    let n = and();
    while (peekWord('or')) {
      i++;
      n = { k: 'or', a: n, b: and() };
    }
    return n;
  };
  if (toks.length === 0) throw new CommandSyntaxError('empty condition', basePos);
  const n = or();
  if (i < toks.length) throw new CommandSyntaxError(`unexpected '${toks[i]!.text}' in the condition`, toks[i]!.pos);
  return n;
}

function value(o: Operand, resolve: Resolve): string {
  return o.tok.kind === 'word' ? resolve(o.tok.text) : o.tok.text;
}

export function evaluate(n: Node, resolve: Resolve): boolean {
  switch (n.k) {
    case 'or':
      return evaluate(n.a, resolve) || evaluate(n.b, resolve);
    case 'and':
      return evaluate(n.a, resolve) && evaluate(n.b, resolve);
    case 'not':
      return !evaluate(n.a, resolve);
    case 'truthy': {
      const v = value(n.a, resolve);
      return v !== '' && v.toLowerCase() !== 'false';
    }
    case 'cmp': {
      const a = value(n.a, resolve);
      const b = value(n.b, resolve);
      const numeric =
        (n.a.numeric || n.b.numeric) &&
        a !== '' &&
        b !== '' &&
        Number.isFinite(Number(a)) &&
        Number.isFinite(Number(b));
      const cmp = numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
      switch (n.op) {
        case '==':
          return numeric ? cmp === 0 : a === b;
        case '!=':
          return numeric ? cmp !== 0 : a !== b;
        case '>':
          return cmp > 0;
        case '>=':
          return cmp >= 0;
        case '<':
          return cmp < 0;
        case '<=':
          return cmp <= 0;
        case 'contains':
          return a.includes(b);
        case 'startswith':
          return a.startsWith(b);
        case 'endswith':
          return a.endsWith(b);
        case 'childfrom':
          // EdgeLake: the left path is below the right one (directory or policy path).
          return a !== b && a.startsWith(b.endsWith('/') ? b : `${b}/`);
        default:
          throw new CommandSyntaxError(`unknown operator '${n.op}'`, n.a.tok.pos);
      }
    }
  }
}

export type Condition = Node;

// `where` clauses: `key = value [and key = value ...]`.
//   value := token+ up to the next top-level `and` word
//   a value that is one `( ... )` group holding `k = v` pairs is a nested clause (topic = (...))
// Repeated keys are kept in order (`dest = file and dest = dbms`).
import { CommandSyntaxError, tokenize, tokenSource, type Token } from './lexer.js';

export interface OptionPair {
  key: string;
  pos: number;
  value: OptionValue;
}

export type OptionValue =
  { kind: 'text'; tokens: Token[]; pos: number } | { kind: 'group'; pairs: OptionPair[]; text: string; pos: number };

const looksLikeClause = (text: string): boolean => /^\s*[\w.\-]+\s*=/.test(text);

export function parseWhere(tokens: Token[], basePos = 0): OptionPair[] {
  const pairs: OptionPair[] = [];
  let i = 0;
  while (i < tokens.length) {
    const key = tokens[i]!;
    if (key.kind !== 'word' && key.kind !== 'string')
      throw new CommandSyntaxError(`expected an option name, found '${tokenSource(key)}'`, basePos + key.pos);
    const eq = tokens[i + 1];
    if (!eq || eq.kind !== 'op' || eq.text !== '=') {
      throw new CommandSyntaxError(
        `expected '=' after '${key.text}'`,
        basePos + (eq?.pos ?? key.pos + key.text.length),
      );
    }
    let j = i + 2;
    const value: Token[] = [];
    while (j < tokens.length && !(tokens[j]!.kind === 'word' && tokens[j]!.text === 'and')) value.push(tokens[j++]!);
    if (value.length === 0) throw new CommandSyntaxError(`missing value for '${key.text}'`, basePos + eq.pos + 1);
    const first = value[0]!;
    if (value.length === 1 && first.kind === 'group' && looksLikeClause(first.text)) {
      const inner = tokenize(first.text);
      pairs.push({
        key: key.text,
        pos: basePos + key.pos,
        value: {
          kind: 'group',
          pairs: parseWhere(inner, basePos + first.pos + 1),
          text: first.text,
          pos: basePos + first.pos,
        },
      });
    } else {
      pairs.push({
        key: key.text,
        pos: basePos + key.pos,
        value: { kind: 'text', tokens: value.map((t) => ({ ...t, pos: basePos + t.pos })), pos: basePos + first.pos },
      });
    }
    if (j < tokens.length) {
      j++; // the `and`
      if (j >= tokens.length)
        throw new CommandSyntaxError(`'and' at the end of the options`, basePos + tokens[j - 1]!.pos);
    }
    i = j;
  }
  return pairs;
}

/** How words are turned into text: `!name` from the dictionary, `$NAME` from the environment. */
export type WordResolver = (word: string) => string;

/** A value's text: words joined by single spaces, quoted strings without their quotes. */
export function valueText(v: OptionValue, resolve: WordResolver): string {
  if (v.kind === 'group') return `(${v.text})`;
  return v.tokens
    .map((t) => (t.kind === 'word' ? resolve(t.text) : t.kind === 'group' ? `(${t.text})` : t.text))
    .join(' ');
}

/**
 * The options as a plain object for schema validation: text values, nested clauses as objects,
 * repeated keys as arrays.
 */
export function optionsObject(pairs: OptionPair[], resolve: WordResolver): Record<string, unknown> {
  const collected = new Map<string, unknown[]>();
  for (const p of pairs) {
    const v = p.value.kind === 'group' ? optionsObject(p.value.pairs, resolve) : valueText(p.value, resolve);
    const list = collected.get(p.key);
    if (list) list.push(v);
    else collected.set(p.key, [v]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, vs] of collected) out[k] = vs.length === 1 ? vs[0] : vs;
  return out;
}

/** Where each key was written, for turning a schema error into a line and column. */
export function keyPositions(pairs: OptionPair[], prefix = ''): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of pairs) {
    const k = prefix + p.key;
    if (!m.has(k)) m.set(k, p.pos);
    if (p.value.kind === 'group')
      for (const [ik, ip] of keyPositions(p.value.pairs, `${k}.`)) if (!m.has(ik)) m.set(ik, ip);
  }
  return m;
}

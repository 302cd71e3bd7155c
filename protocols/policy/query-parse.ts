// The text after `blockchain get` (cmd/member_cmd.py blockchain_get L1614-1700, process_bring L886-929):
//   query     := types [where-clause | json-filter] [bring fields* [conditions]]  |  'root' 'policies' [bring...]
//   types     := type | '(' type (',' type)* ')' | '*' | !var          a !var may hold '(t1, t2)'
//   where     := 'where' pair ('and' pair)* | 'where' condition        see filter.ts
//   pair      := key ('=' | 'with') value
//   bring     := 'bring' ('.' modifier)*   modifier: first recent last unique json count table null min max
//                list ip_port children sort sort(c1,c2)
//   conditions:= trailing `separator = x` (and `python = ..`, not supported), joined by 'and'
// Errors are CommandError code 2, as EdgeLake's ERR_command_struct, except where noted.
import { CommandError } from '../../base/errors.js';
import { CommandSyntaxError, tokenize, type Token } from '../command/lexer.js';
import { BRING_BITS, type BringName } from './object-data.js';
import { parseWhereCondition, type WhereCondition } from './filter.js';
import { edgeWord } from './keys.js';
import { Status } from '../../base/status.js';

/** A where value as written: resolved at run time (`!x` words), a `with` list parsed then. */
export interface RawPair {
  key: string;
  op: '=' | 'with';
  value: Token;
}

export interface ParsedQuery {
  /** The type word as written (`operator`, `*`, `!t`, `(operator, table)`), or root policies. */
  types: { kind: 'word'; text: string } | { kind: 'root' };
  pairs: RawPair[];
  condition?: WhereCondition | undefined;
  /** `blockchain get operator {"name": "x"}`: the JSON text (its `!x` references resolved at run). */
  jsonFilter?: string | undefined;
  bring?: ParsedBring | undefined;
}

export interface ParsedBring {
  word: string;
  bits: number;
  /** `sort(1,0)` -> `(1,0)`. */
  sortFields?: string | undefined;
  /** Field words as EdgeLake's tokenizer gives them (double quotes removed, single quotes kept). */
  fields: string[];
  /** The `separator = x` value token, when given. */
  separator?: Token | undefined;
  withConditions: boolean;
}

const structure = (message: string): CommandError => new CommandError(message, { code: Status.CommandStructure });

/** A word glued to a following `( .. )` is one word for EdgeLake (`bring.table.sort(1,0)`). */
function glue(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    const prev = out[out.length - 1];
    if (prev?.kind === 'word' && t.kind === 'group' && t.pos === prev.pos + prev.text.length)
      out[out.length - 1] = { ...prev, text: `${prev.text}(${t.text})` };
    else out.push(t);
  }
  return out;
}

/**
 * EdgeLake's tokenizer ends a bracketed word at its balanced ']' unless '[' or ':' follows
 * (utils_data.find_parentheses_offset): `[a][b]`, `[a]:[b]` are one word, `[a]x` is `[a]` and `x`.
 */
function splitBrackets(word: string): string[] {
  if (!word.startsWith('[')) return [word];
  let depth = 0;
  for (let i = 0; i < word.length; i++) {
    if (word[i] === '[') depth++;
    else if (word[i] === ']' && --depth === 0 && i + 1 < word.length && word[i + 1] !== '[' && word[i + 1] !== ':')
      return [word.slice(0, i + 1), ...splitBrackets(word.slice(i + 1))];
  }
  return [word];
}

const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.text === w;
const isBringWord = (t: Token | undefined): boolean =>
  t?.kind === 'word' && (t.text === 'bring' || t.text.startsWith('bring.'));

/** get_bring_type: the modifier bits of a bring word. */
export function bringBits(word: string): { bits: number; sortFields: string | undefined } {
  let bits = 0;
  let sortFields: string | undefined;
  for (const part of word.split('.')) {
    if (Object.hasOwn(BRING_BITS, part)) bits |= BRING_BITS[part as BringName];
    else if (part.startsWith('sort(') && part.endsWith(')')) {
      sortFields = part.slice(4);
      bits |= BRING_BITS.sort;
    } else throw structure(`Unrecognized 'bring' directive: '${word}'`);
  }
  if (bits & BRING_BITS.table) bits |= BRING_BITS.json | BRING_BITS.null; // the table is built from JSON
  return { bits, sortFields };
}

function parseWhere(tokens: Token[], text: string, q: ParsedQuery): number {
  let i = 0;
  if (tokens.length < 3) throw structure(`Missing conditions after 'where'`);
  for (;;) {
    const [k, op, v] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    const opText = op?.kind === 'op' ? op.text : op?.kind === 'word' && op.text === 'with' ? 'with' : undefined;
    if (!k || !v || (k.kind !== 'word' && k.kind !== 'string') || (opText !== '=' && opText !== 'with')) break;
    q.pairs.push({ key: k.text, op: opText, value: v });
    i += 3;
    if (isWord(tokens[i], 'and') && i + 3 < tokens.length) i++;
    else return i;
  }
  // Not `k = v`: the rest of the where clause, up to `bring`, is an `if` condition (params.analyze_if).
  let end = i;
  while (end < tokens.length && !isBringWord(tokens[end])) end++;
  if (end === i) throw structure(`Missing conditions after 'where'`);
  const from = tokens[i]!.pos;
  const to = end < tokens.length ? tokens[end]!.pos : text.length;
  q.condition = parseWhereCondition(text.slice(from, to), from);
  return end;
}

function parseBring(tokens: Token[], q: ParsedQuery): void {
  const word = tokens[0]!;
  if (word.kind !== 'word') throw structure(`Unrecognized 'bring' directive: '${edgeWord(word)}'`);
  const { bits, sortFields } = bringBits(word.text);
  let rest = tokens.slice(1);
  if (rest.length === 0 && bits <= 1)
    throw structure(`Missing Info after 'bring' directive in 'blockchain get' command`);
  // Trailing `key = value [and key = value]` are conditions, counted from the end (process_bring).
  let tail = 0;
  while (rest[rest.length - tail - 2]?.kind === 'op' && rest[rest.length - tail - 2]!.text === '=') {
    tail += 3;
    if (isWord(rest[rest.length - tail - 1], 'and')) tail++;
  }
  const conds = rest.slice(rest.length - tail);
  rest = rest.slice(0, rest.length - tail);
  let separator: Token | undefined;
  for (let i = 0; i < conds.length; i += 4) {
    const key = conds[i]!.text;
    if (key === 'python') throw structure(`'python = ..' in 'blockchain get' is not supported`);
    if (key !== 'separator') throw structure(`Unknown key in AnyLog command: ${key}`);
    if (separator) throw structure(`Redundant values in AnyLog command: separator`);
    separator = conds[i + 2]!;
  }
  const fields = rest.flatMap((t) => (t.kind === 'word' ? splitBrackets(t.text) : [edgeWord(t)]));
  q.bring = { word: word.text, bits, sortFields, fields, separator, withConditions: tail > 0 };
}

/** Parses the text after `blockchain get`. Throws CommandError (code 2) on a malformed query. */
export function parseQuery(text: string): ParsedQuery {
  let tokens: Token[];
  try {
    tokens = glue(tokenize(text));
  } catch (err) {
    if (err instanceof CommandSyntaxError)
      throw structure(`Error in blockchain get command: ${err.message} at ${err.pos}`);
    throw err;
  }
  const first = tokens[0];
  if (!first) throw structure(`Missing policy type after: 'blockchain get'`);
  const q: ParsedQuery = { types: { kind: 'word', text: edgeWord(first) }, pairs: [] };
  let i = 1;
  if (isWord(first, 'root') && isWord(tokens[1], 'policies')) {
    q.types = { kind: 'root' };
    i = 2;
  } else if (isWord(tokens[i], 'where')) {
    i += 1 + parseWhere(tokens.slice(i + 1), text, q);
  } else if (tokens[i]?.kind === 'json' && tokens[i]!.text.startsWith('{')) {
    q.jsonFilter = tokens[i++]!.text;
  }
  const next = tokens[i];
  if (isWord(next, 'join') || isWord(next, 'merge'))
    throw structure(`'${next!.text}' in 'blockchain get' is not supported`);
  if (next) parseBring(tokens.slice(i), q);
  return q;
}

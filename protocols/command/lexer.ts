// Tokens of one EdgeLake command (after `<...>` multi-line joining).
//
// Grammar of a token stream (EdgeLake: cmd/member_cmd.py, generic/params.py):
//   token   := string | group | json | op | word
//   string  := '"' chars '"' | "'" chars "'"        -> the text without quotes
//   group   := '(' balanced ')'                     -> inner text, parsed again by the caller
//   json    := '{' balanced '}' | '[' '{' ... '}' ']'-> raw text (a policy)
//   op      := '=' | '==' | '!=' | '>=' | '<=' | '>' | '<'   ('>' '<' only where `ops` allows)
//   word    := run of characters up to white space, '=', or a quote/group opener
// Brackets stay inside words (`[*][id]`, `[true/false]`). `!name` and `$NAME` are words; they are
// resolved later, word by word, so a value can never change the structure of a command.
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export type TokenKind = 'word' | 'string' | 'group' | 'json' | 'op';

export interface Token {
  kind: TokenKind;
  /** Unquoted text (string), inner text (group), raw text (json, word, op). */
  text: string;
  /** Offset of the token's first character in the command text. */
  pos: number;
  /** For strings: which quote. */
  quote?: '"' | "'";
}

export interface LexOptions {
  /** Treat `>` `<` `>=` `<=` as operators (conditions). Otherwise they are word characters. */
  comparisons?: boolean;
}

/** A command-structure error with the offset where it was found. */
export class CommandSyntaxError extends CommandError {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message, { code: Status.CommandStructure });
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Index just after the closer matching the opener at `start`, honouring quotes. */
export function matchClose(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      // An apostrophe inside a word (don't) is not a quote in EdgeLake's tokenizer either.
      if (c === "'" && i > start && /\w/.test(text[i - 1]!) && /\w/.test(text[i + 1] ?? '')) continue;
      quote = c;
    } else if (c === open) depth++;
    else if (c === close) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new CommandSyntaxError(quote ? `unterminated quote ${quote}` : `missing '${close}' for '${open}'`, start);
}

/** Index after the bracket matching the one at `start`, quotes not considered; -1 when unbalanced. */
function bracketEnd(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i + 1;
  }
  return -1;
}

export function tokenize(text: string, opts: LexOptions = {}): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new CommandSyntaxError(`unterminated quote ${c}`, i);
      out.push({ kind: 'string', text: text.slice(i + 1, end), pos: i, quote: c });
      i = end + 1;
      continue;
    }
    if (c === '(') {
      const end = matchClose(text, i, '(', ')');
      out.push({ kind: 'group', text: text.slice(i + 1, end - 1), pos: i });
      i = end;
      continue;
    }
    if (c === '{' || (c === '[' && /^\[\s*\{/.test(text.slice(i, i + 40)))) {
      const close = c === '{' ? '}' : ']';
      let end: number;
      try {
        end = matchClose(text, i, c, close);
      } catch (err) {
        // EdgeLake's find_parentheses_offset counts brackets without quotes: a policy text with a stray quote is
        // still one value (its JSON is refused where it is used, not here).
        end = err instanceof CommandSyntaxError ? bracketEnd(text, i, c, close) : -1;
        if (end < 0) throw err;
      }
      out.push({ kind: 'json', text: text.slice(i, end), pos: i });
      i = end;
      continue;
    }
    if (c === ')' || c === '}') throw new CommandSyntaxError(`unexpected '${c}'`, i);
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=' || (opts.comparisons && (two === '>=' || two === '<='))) {
      out.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '=' || (opts.comparisons && (c === '>' || c === '<'))) {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    const start = i;
    let bracket = 0;
    while (i < n) {
      const d = text[i]!;
      if (d === '[') bracket++;
      else if (d === ']') bracket = Math.max(0, bracket - 1);
      if (bracket === 0) {
        if (isSpace(d) || d === '=' || d === '(' || d === '"') break;
        if (d === "'" && i === start) break;
        if (opts.comparisons && (d === '>' || d === '<')) break;
        if (d === '!' && text[i + 1] === '=' && i > start) break;
      }
      i++;
    }
    if (bracket > 0) throw new CommandSyntaxError(`missing ']'`, start);
    out.push({ kind: 'word', text: text.slice(start, i), pos: start });
  }
  return out;
}

/** The source text a token came from, with quotes and brackets (for echoing values back). */
export function tokenSource(t: Token): string {
  switch (t.kind) {
    case 'string':
      return `${t.quote}${t.text}${t.quote}`;
    case 'group':
      return `(${t.text})`;
    default:
      return t.text;
  }
}

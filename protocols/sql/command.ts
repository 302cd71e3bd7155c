// The `sql` command as peers send it (member_cmd.get_sql_processing_info L3651+):
//   sql <dbms> [<key> = <value> [and <key> = <value> ...]] <query>
// The query is quoted or not (EdgeLake's query node sends it unquoted, spaces as TAB); a value is a word, a
// quoted string or a parenthesised list (`extend = (@ip, @port)`, `include = (t2, t3)`); a key may repeat
// (`extend = @ip and extend = @port`, as EdgeLake's query node forwards a list).
import { tokenize, type Token } from '../command/lexer.js';
import { selectError } from './select.js';

export interface SqlCommand {
  dbms: string;
  /** Option key (lower case) -> its value: the text of a word or string, a list for a parenthesised group. */
  options: Map<string, string | string[]>;
  query: string;
}

function optionValue(t: Token): string | string[] {
  if (t.kind === 'group')
    return t.text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return t.text;
}

/** Parses `sql <dbms> [options] <query>` (TABs already spaces or not). Throws error 134 on what it cannot read. */
export function parseSqlCommand(text: string): SqlCommand {
  const clean = text.replace(/\t/g, ' ');
  let toks: Token[];
  try {
    toks = tokenize(clean);
  } catch (err) {
    throw selectError(err instanceof Error ? err.message : String(err));
  }
  if (toks[0]?.text.toLowerCase() !== 'sql' || !toks[1]) throw selectError('expected sql <dbms> <query>');
  const options = new Map<string, string | string[]>();
  let i = 2;
  while (i + 2 < toks.length && toks[i]!.kind === 'word' && toks[i + 1]?.kind === 'op' && toks[i + 1]!.text === '=') {
    // A key given again adds to it: EdgeLake's query node sends `extend = @ip and extend = @port`
    // (member_cmd.get_generic_query writes one pair per value).
    const key = toks[i]!.text.toLowerCase();
    const value = optionValue(toks[i + 2]!);
    const had = options.get(key);
    options.set(key, had === undefined ? value : [...listOption(had), ...listOption(value)]);
    i += 3;
    if (toks[i]?.kind === 'word' && toks[i]!.text.toLowerCase() === 'and') i++;
  }
  const first = toks[i];
  if (!first) throw selectError('missing the query');
  const query = first.kind === 'string' && i === toks.length - 1 ? first.text : clean.slice(first.pos).trim();
  return { dbms: toks[1].text, options, query };
}

/** An option as a list (a single word is a list of one). */
export function listOption(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** An option as true/false (EdgeLake takes `true`). */
export function boolOption(v: string | string[] | undefined): boolean {
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

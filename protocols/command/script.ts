// Script files (`.al`) as EdgeLake's `process <file>` runs them (cmd/member_cmd.py L13522-13806):
//   - one command per line; blank lines and `#` lines are skipped; `:name:` lines are labels (the name runs
//     to the second `:`); any other line starting with `:` is skipped (`:partitioning-error;`), as EdgeLake's
//     `exec_script` skips every line whose first character is `:`
//   - a line starting with `<` opens a multi-line command: lines are stripped and joined by single
//     spaces up to the first line ending in `>`. (Deviation: EdgeLake keeps reading when `<` and `>`
//     are on the same line, swallowing the following lines; here `<one line>` is one command.)
//   - a line with unbalanced `{` continues on the next lines until the braces balance (JSON policies)
// Splitting keeps, for every joined command, where each piece came from, so an error at an offset
// of the joined text is reported as `line L, column C` of the file.
import { CommandSyntaxError } from './lexer.js';

export interface ScriptLine {
  /** The command text (joined for multi-line commands). */
  text: string;
  /** 1-based line of the first physical line. */
  line: number;
  /** Offsets in `text` where each physical line's content starts, with its line and column. */
  pieces: { offset: number; line: number; col: number }[];
  label?: string;
}

export interface SourceLoc {
  file: string;
  line: number;
  col: number;
}

export function locate(sl: ScriptLine, offset: number, file: string): SourceLoc {
  let p = sl.pieces[0]!;
  for (const piece of sl.pieces) if (piece.offset <= offset) p = piece;
  return { file, line: p.line, col: p.col + (offset - p.offset) };
}

function braceBalance(s: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
  }
  return depth;
}

export function splitScript(source: string): ScriptLine[] {
  const raw = source.split(/\r?\n/);
  const out: ScriptLine[] = [];
  let i = 0;
  while (i < raw.length) {
    const physical = raw[i]!;
    const lead = physical.length - physical.trimStart().length;
    const t = physical.trim();
    const lineNo = i + 1;
    i++;
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith(':')) {
      const label = /^:([^:]+):/.exec(t);
      if (label)
        out.push({ text: t, line: lineNo, pieces: [{ offset: 0, line: lineNo, col: lead + 1 }], label: label[1]! });
      continue;
    }
    if (t.startsWith('<')) {
      const pieces = [{ offset: 0, line: lineNo, col: lead + 2 }];
      let text = t.slice(1);
      let closed = text.endsWith('>');
      while (!closed && i < raw.length) {
        const next = raw[i]!;
        const nt = next.trim();
        i++;
        if (nt === '' || nt.startsWith('#')) continue;
        text += ' ';
        pieces.push({ offset: text.length, line: i, col: next.length - next.trimStart().length + 1 });
        text += nt;
        closed = nt.endsWith('>');
      }
      if (!closed) throw new CommandSyntaxError(`line ${lineNo}: '<' multi-line command is not closed with '>'`, 0);
      out.push({ text: text.slice(0, -1).trim(), line: lineNo, pieces });
      continue;
    }
    let text = t;
    const pieces = [{ offset: 0, line: lineNo, col: lead + 1 }];
    while (braceBalance(text) > 0 && i < raw.length) {
      const next = raw[i]!;
      i++;
      pieces.push({ offset: text.length + 1, line: i, col: next.length - next.trimStart().length + 1 });
      text += ' ' + next.trim();
    }
    out.push({ text, line: lineNo, pieces });
  }
  return out;
}

/** Labels and the index of the line after each; duplicate labels are an error (EdgeLake fails the script). */
export function labelIndex(lines: ScriptLine[], file: string): Map<string, number> {
  const m = new Map<string, number>();
  lines.forEach((l, idx) => {
    if (l.label === undefined) return;
    if (m.has(l.label))
      throw new CommandSyntaxError(`${file} line ${l.line}: label ':${l.label}:' is used more than once`, 0);
    m.set(l.label, idx + 1);
  });
  return m;
}

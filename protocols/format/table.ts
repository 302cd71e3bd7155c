// EdgeLake's text tables (generic/utils_print.py L570-750, output_nested_lists), byte for byte:
//   "\r\n" + prefix + header           (when a header is given)
//   "\r\n" + prefix + titles           each title left-justified to its column width + 1
//                                      (a title with '\n' makes a two-line title)
//   "\r\n" + prefix + rule             '-' * width + '|' per column
//   "\r\n" + prefix + cells            each cell + '|'; numbers right-aligned, text left-aligned
//   "\r\n"
// Text cells longer than 100 characters wrap onto continuation lines, as EdgeLake does.

export type Cell = string | number | boolean | null | undefined;

const MAX_CELL = 100;

/** EdgeLake's is_formated_number: digits with optional commas/dots and one leading '-'. */
function isFormattedNumber(s: string): boolean {
  let withNumber = false;
  for (const c of s) {
    if (c >= '0' && c <= '9') withNumber = true;
    else if (c === '-') {
      if (withNumber) return false;
      withNumber = true;
    } else if (c !== '.' && c !== ',') return false;
  }
  return true;
}

function rightAligned(v: Cell): boolean {
  return typeof v === 'number' || (typeof v === 'string' && v.length < 20 && isFormattedNumber(v));
}

/** Python's str() of a cell. */
export function pyStr(v: Cell): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  return String(v);
}

export interface TableOptions {
  header?: string;
  prefix?: string;
}

export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
  opts: TableOptions = {},
): string {
  const prefix = opts.prefix ?? '';
  const widths: number[] = [];
  let title1: string[] | undefined;
  let title2: string[] | undefined;
  columns.forEach((name, idx) => {
    const nl = name.indexOf('\n');
    if (nl < 0) {
      title1?.push(name);
      title2?.push('');
      widths.push(name.length);
    } else {
      if (!title1) {
        title1 = columns.slice(0, idx).map((c) => c);
        title2 = columns.slice(0, idx).map(() => '');
      }
      title1.push(name.slice(0, nl));
      title2!.push(name.slice(nl + 1));
      widths.push(Math.max(nl, name.length - nl));
    }
  });
  for (const row of rows) {
    row.forEach((cell, idx) => {
      const len = Math.min(MAX_CELL, pyStr(cell).length);
      if (idx >= widths.length) widths.push(len);
      else if (len > widths[idx]!) widths[idx] = len;
    });
  }
  let out = opts.header !== undefined ? `\r\n${prefix}${opts.header}` : '';
  if (columns.length > 0) {
    const titleLines = title1 ? [title1, title2!] : [columns as string[]];
    for (const line of titleLines) {
      out += `\r\n${prefix}`;
      line.forEach((t, idx) => (out += t.padEnd(widths[idx]! + 1)));
    }
    out += `\r\n${prefix}`;
    for (let idx = 0; idx < columns.length; idx++) out += '-'.repeat(widths[idx]!) + '|';
  }
  for (const row of rows) {
    let line = `\r\n${prefix}`;
    let cont = line;
    row.forEach((cell, idx) => {
      const w = widths[idx]!;
      if (cell === null || cell === undefined) {
        line += ' '.repeat(w) + '|';
      } else if (typeof cell === 'boolean') {
        line += pyStr(cell).padEnd(w) + '|';
      } else if (rightAligned(cell)) {
        line += String(cell).padStart(w) + '|';
      } else {
        const s = String(cell)
          .replace(/\r/g, '')
          .replace(/[\n\t]/g, ' ');
        if (s.length <= MAX_CELL) line += s.padEnd(w) + '|';
        else {
          for (let off = 0; off < s.length; off += MAX_CELL) {
            if (off > 0) line += cont;
            line += s.slice(off, off + MAX_CELL).padEnd(MAX_CELL) + '|';
          }
        }
      }
      cont += ' '.repeat(w) + '|';
    });
    out += line;
  }
  return out + '\r\n';
}

/** Python's json.dumps spacing (`", "` and `": "`), which EdgeLake's JSON replies use. */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'NaN';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${pyString(k)}: ${pyJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(v));
}

/** json.dumps of a string: ensure_ascii escapes everything past 0x7f (from 0x80) as \uXXXX. */
function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// bring.table (cmd/member_cmd.py set_json_as_table L1846-1897, custom_sort_key L1902-1922): the
// bring.json text as an EdgeLake text table. Titles are the first entry's keys, capitalized; each row
// holds its entry's values in the entry's own key order.
//   bring.table.sort          rows sorted as Python sorts lists of values; rows Python cannot order
//                             (a text against a number...) keep their order
//   bring.table.sort(1,0)     rows sorted by those columns (0-based): text holding a letter padded on
//                             the right, anything else on the left, to the column's widest value
import { formatTable, type Cell } from '../format/table.js';
import { comparePy } from './bring.js';
import { pyStr } from './pyrepr.js';
import { PyFloat, isDict, numberOf, parseJson, type PyValue } from './pyvalue.js';

class Unorderable extends Error {}

const isNum = (v: PyValue): boolean =>
  typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof PyFloat;
const num = (v: PyValue): number => (typeof v === 'boolean' ? Number(v) : numberOf(v)!);

/** Python `==` on values (1 == 1.0 == True; dicts regardless of order). */
function pyEq(a: PyValue, b: PyValue): boolean {
  if (isNum(a) && isNum(b)) return num(a) === num(b);
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]!));
  if (isDict(a) && isDict(b)) return a.size === b.size && [...a].every(([k, x]) => b.has(k) && pyEq(x, b.get(k)!));
  return false;
}

/** Python `<` and `>` as a comparator; throws Unorderable where Python raises TypeError. */
function pyCompare(a: PyValue, b: PyValue): number {
  if (isNum(a) && isNum(b)) return Math.sign(num(a) - num(b));
  if (typeof a === 'string' && typeof b === 'string') return comparePy(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (!pyEq(a[i]!, b[i]!)) return pyCompare(a[i]!, b[i]!);
    return a.length - b.length;
  }
  throw new Unorderable();
}

function sortRows(rows: PyValue[][], fields: string | undefined): PyValue[][] {
  const sorted = [...rows];
  try {
    if (fields === undefined) return sorted.sort(pyCompare);
    if (fields.length <= 2) return rows;
    const cols = fields
      .slice(1, -1)
      .split(',')
      .map((f) => (/^\s*[+-]?\d+\s*$/.test(f) ? Number(f) : NaN));
    const at = (row: PyValue[], c: number): PyValue => {
      const v = row[c < 0 ? row.length + c : c];
      if (Number.isNaN(c) || v === undefined) throw new Unorderable(); // Python: ValueError / IndexError
      return v;
    };
    const width = cols.map((c) => Math.max(...rows.map((r) => [...pyStr(at(r, c))].length)));
    const key = (row: PyValue[]): string =>
      cols
        .map((c, i) => {
          const v = at(row, c);
          const s = pyStr(v);
          const pad = width[i]! - [...s].length;
          const left = typeof v === 'string' && /\p{L}/u.test(v);
          return left ? s + ' '.repeat(Math.max(0, pad)) : ' '.repeat(Math.max(0, pad)) + s;
        })
        .join('');
    const keys = new Map(rows.map((r) => [r, key(r)]));
    return sorted.sort((a, b) => comparePy(keys.get(a)!, keys.get(b)!));
  } catch (err) {
    // EdgeLake wraps the sort in try/except and prints the rows as they are.
    if (err instanceof Unorderable) return rows;
    throw err;
  }
}

function cell(v: PyValue): Cell {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return pyStr(v); // floats, big ints, lists, dicts: their str(); numbers stay right-aligned
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();

/** The table for a bring.json text; '' when it holds no entries. */
export function jsonAsTable(json: string, sort: boolean, sortFields: string | undefined): string {
  const list = parseJson(json);
  if (!Array.isArray(list) || list.length === 0 || !list.every(isDict)) return '';
  const entries = list.filter(isDict);
  const titles = [...entries[0]!.keys()].map(capitalize);
  let rows = entries.map((e) => [...e.values()]);
  if (sort) rows = sortRows(rows, sortFields);
  return formatTable(
    titles,
    rows.map((r) => r.map(cell)),
  );
}

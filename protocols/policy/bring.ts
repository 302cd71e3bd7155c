// `bring` over the selected policies (generic/utils_json.py pull_info L533-719):
//   fields    := (key | literal)*     keys as in keys.ts; `[a]:[b]` = first non-empty; `[]` / `[*]` = type
//   literal   := "text" (quotes dropped) | 'text' (quotes kept: EdgeLake's tokenizer keeps them)
//                | \n \t \r (the control character)
// Per policy the fields are concatenated, the separator going before every policy's text but the
// first. bring.json: `[{"k": v},{"k": v}]` (entries joined by ',' without a space); bring.count with
// fields: `[{"count" : n }]`; bring.list: `[a,b]`; bring.min / bring.max: one value (numeric when both
// sides parse as floats). Without fields: count -> n, first/recent -> `[policy]`, unique/json/list ->
// `[p1,p2]`, ip_port -> `ip:port,...`. The quirks of pull_info are kept on purpose: they decide the reply.
import { validIpPorts, type NodeAddress } from './address.js';
import { pyFloatOf } from './filter.js';
import { makePullKeys, type WordResolver } from './keys.js';
import { hasBit, objectData, type FieldOut, type PullState } from './object-data.js';
import { jsonDumps } from './pyrepr.js';
import type { PyValue } from './pyvalue.js';

/** `\n` `\r` `\t` written as two characters (or as '\n' in single quotes) are the control characters. */
const CONTROL: Record<string, string> = {
  '\\n': '\n',
  '\\r': '\r',
  '\\t': '\t',
  "'\\n'": '\n',
  "'\\r'": '\r',
  "'\\t'": '\t',
};
const controlChar = (w: string): string => CONTROL[w] ?? w;

export interface BringOptions {
  /** Field words as EdgeLake's tokenizer gives them (double quotes removed, single quotes kept). */
  fields: readonly string[];
  /** `separator = x` (already resolved); undefined when absent. */
  separator?: string | undefined;
  /** Trailing `k = v` conditions were given (even if only a separator): EdgeLake then always loops. */
  withConditions: boolean;
  bits: number;
  resolve: WordResolver;
  node?: NodeAddress | undefined;
}

/** Python string order (by code point, not UTF-16 unit). */
export function comparePy(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** is_replace_result: numeric when both parse as floats, else text order. */
function replaces(existing: string, value: string, max: boolean): boolean {
  const a = pyFloatOf(existing);
  const b = pyFloatOf(value);
  const c = a !== undefined && b !== undefined ? Math.sign(b - a) : comparePy(value, existing);
  return max ? c > 0 : c < 0;
}

const countJson = (n: number): string => `[{"count" : ${n} }]`;

/** pull_info: the bring text for `data` (non-empty). Throws CommandError (code 6) for `[k][]` on a non-list. */
export function pullInfo(data: readonly PyValue[], b: BringOptions): string {
  const { fields, bits } = b;
  const bare = fields.length === 0 && !b.withConditions;
  let outJson = hasBit(bits, 'json');
  const outList = hasBit(bits, 'list');
  if (hasBit(bits, 'count')) {
    if (bare) return outJson ? countJson(data.length) : String(data.length);
    outJson = true; // counting needs the JSON entries
  }
  if (bare) {
    if (hasBit(bits, 'recent') || hasBit(bits, 'first')) return `[${jsonDumps(data[0]!)}]`;
    if (hasBit(bits, 'unique') || outJson || outList) return `[${data.map(jsonDumps).join(',')}]`;
    if (hasBit(bits, 'ip_port')) return validIpPorts(data, b.node);
    return '';
  }
  const unique = hasBit(bits, 'unique');
  const min = hasBit(bits, 'min');
  const max = hasBit(bits, 'max');
  const seen = new Set<string>();
  const addSep = !outJson && b.separator !== undefined;
  let sep = b.separator ?? '';
  if (addSep) sep = sep.length >= 3 && sep.startsWith('"') && sep.endsWith('"') ? sep.slice(1, -1) : controlChar(sep);
  // test_unique: the first entry is remembered with the separator the later ones carry.
  const firstSeen = (text: string, dyn: string): boolean => {
    if (seen.has(text)) return false;
    seen.add(addSep && sep && !dyn ? sep + text : text);
    return true;
  };
  const st: PullState = { error: undefined, resolve: b.resolve };
  const jsonList: string[] = [];
  let dyn = outJson || outList ? '[' : '';
  for (const obj of data) {
    const o: FieldOut = { outJson, newJson: new Map(), sepEvent: false, separator: sep, nulls: hasBit(bits, 'null') };
    let text = '';
    let orRest: string | undefined;
    let x = 0;
    while (x < fields.length) {
      let word: string;
      if (orRest === undefined) {
        o.sepEvent = x === 0 && addSep && dyn !== '';
        word = fields[x]!;
      } else {
        word = orRest;
        orRest = undefined;
      }
      x++;
      const or = word.indexOf(']:[');
      if (or > 0) {
        orRest = word.slice(or + 2);
        word = word.slice(0, or + 1);
      }
      const pk = word === '[]' ? { isKey: true, key: '', isList: false, nextKey: '' } : makePullKeys(word, b.resolve);
      if (pk.isKey) {
        const value = objectData(st, obj, pk.key, pk.isList, pk.nextKey, o, false);
        if (st.error) break;
        if (value === '') {
          if (orRest !== undefined) x--; // try the next `:` alternative of the same field
          continue;
        }
        orRest = undefined;
        if (!outJson) {
          if (min || max) {
            if (!dyn || replaces(dyn, value, max)) dyn = value;
          } else text += value;
        }
        continue;
      }
      if (!outJson) {
        if (o.sepEvent) text += sep;
        text += word.length >= 3 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : controlChar(word);
      }
      orRest = undefined;
    }
    if (!st.error) {
      if (outJson) {
        if (o.newJson.size > 0) {
          const entry = jsonDumps(o.newJson);
          if (!unique || firstSeen(entry, '')) jsonList.push(entry);
        }
      } else if (text !== '' && (!unique || firstSeen(text, dyn))) dyn += outList ? `${text},` : text;
    }
    if (hasBit(bits, 'first')) break;
  }
  if (st.error) throw st.error;
  if (hasBit(bits, 'count')) return countJson(unique ? seen.size : jsonList.length);
  if (!outJson && !outList) return dyn;
  if (outJson) dyn += jsonList.map((e) => `${e},`).join('');
  return dyn === '[' ? '[]' : `${dyn.slice(0, -1)}]`;
}

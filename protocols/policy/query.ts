// `blockchain get` over a list of policies (cmd/member_cmd.py blockchain_get L1614-1833,
// blockchain/blockchain.py __get_json L500-561, index_ledger / get_root_or_children L1301-1365):
//   1. select   policies of the types (in ledger order; a policy matching two listed types twice),
//               filtered by the where pairs / condition / JSON filter; `root policies` = policies without
//               a parent whose id is some non-cluster policy's parent
//   2. children bring.children: each selected policy's children (non-cluster policies whose `parent`
//               is its id); `bring.children` alone then returns them as JSON
//   3. first / recent|last   the first / last selected policy (by ledger position: EdgeLake's date test
//               looks at the wrong level of the policy, so position is what it really does)
//   4. bring    bring.ts; bring.table renders the JSON as a table (table.ts)
// No bring: json.dumps of the selected list. Nothing selected: '' (EdgeLake's REST reply is then `[]`).
import { CommandError } from '../../base/errors.js';
import type { Token } from '../command/lexer.js';
import type { NodeAddress } from './address.js';
import { pullInfo } from './bring.js';
import { substituteJsonRefs, typedResolver } from './build.js';
import { matchesCondition, matchesPairs, type WherePair } from './filter.js';
import { policyInner } from './id.js';
import { edgeWord, type WordResolver } from './keys.js';
import { BRING_BITS, hasBit } from './object-data.js';
import { jsonDumps, pyStr } from './pyrepr.js';
import { isDict, parseJson, type PyValue } from './pyvalue.js';
import { parseQuery, type ParsedQuery } from './query-parse.js';
import { jsonAsTable } from './table.js';
import { Status } from '../../base/status.js';

export interface QueryContext {
  /** `!name` / `$NAME` words (the node's dictionary and environment); '' when undefined. */
  resolve: WordResolver;
  /** This node's addresses, for bring.ip_port; without them every policy's own ip:port is used. */
  node?: NodeAddress | undefined;
}

const isRef = (t: Token): boolean => t.kind === 'word' && t.text.length > 1 && (t.text[0] === '!' || t.text[0] === '$');
const searchKeyError = (what: string): CommandError =>
  new CommandError(`Error in JSON search key: ${what}`, { code: Status.JsonSearchKey });

function valueText(t: Token, resolve: WordResolver): string {
  if (!isRef(t)) return t.kind === 'group' ? `(${t.text})` : t.text; // quotes of either kind dropped
  const v = resolve(t.text);
  // EdgeLake leaves an empty reference in its JSON search text, which then fails to parse (error 240).
  if (v === '') throw searchKeyError(`'${t.text}' has no value`);
  return v;
}

/** The JSON of a search (a `with` list, a JSON filter); not JSON is EdgeLake's error 240. */
function searchJson(text: string, resolve?: WordResolver): PyValue {
  try {
    return parseJson(resolve ? substituteJsonRefs(text, typedResolver(resolve)) : text);
  } catch (err) {
    if (err instanceof CommandError) throw searchKeyError(`'${text}'`);
    throw err;
  }
}

function wherePairs(q: ParsedQuery, resolve: WordResolver): WherePair[] {
  const pairs: WherePair[] = q.pairs.map((p) => {
    const text = valueText(p.value, resolve);
    if (p.op === '=') return { key: p.key, value: text };
    if (!(text.startsWith('[') && text.endsWith(']') && text.length > 2)) return { key: p.key, value: [text] };
    const list = searchJson(text);
    if (!Array.isArray(list)) throw searchKeyError(`'${text}'`);
    return { key: p.key, value: list };
  });
  if (q.jsonFilter !== undefined) {
    const filter = searchJson(q.jsonFilter, resolve);
    if (!isDict(filter)) throw searchKeyError(`'${q.jsonFilter}'`);
    for (const [key, value] of filter) pairs.push({ key, value });
  }
  return pairs;
}

/** get_search_keys: `operator`, `*`, or `(operator, table)` (after resolving a `!var`). */
function searchTypes(word: string, resolve: WordResolver): string[] {
  const text = word.length > 1 && (word[0] === '!' || word[0] === '$') ? resolve(word) : word;
  if (text === '') throw new CommandError(`Invalid key value type: ''`, { code: Status.WrongKeyValue });
  if (!(text.startsWith('(') && text.endsWith(')'))) return [text];
  return text
    .slice(1, -1)
    .split(',')
    .map((t) => t.trim());
}

const firstValue = (p: Map<string, PyValue>): PyValue | undefined => p.values().next().value;

/** Children by parent id (index_ledger): non-cluster policies holding a `parent`, in ledger order. */
function parentIndex(ledger: readonly PyValue[]): Map<string, PyValue[]> {
  const index = new Map<string, PyValue[]>();
  for (const p of ledger) {
    if (!isDict(p) || p.keys().next().value === 'cluster') continue;
    const inner = firstValue(p);
    const parent = isDict(inner) ? inner.get('parent') : undefined;
    if (typeof parent !== 'string') continue;
    const children = index.get(parent);
    if (children) children.push(p);
    else index.set(parent, [p]);
  }
  return index;
}

/** The policies `blockchain get` selects (steps 1-2 above, before first/recent and bring). */
export function selectPolicies(q: ParsedQuery, ledger: readonly PyValue[], ctx: QueryContext): PyValue[] {
  let out: PyValue[] = [];
  const children = q.bring !== undefined && hasBit(q.bring.bits, 'children');
  const index = q.types.kind === 'root' || children ? parentIndex(ledger) : new Map<string, PyValue[]>();
  if (q.types.kind === 'root') {
    for (const p of ledger) {
      const inner = isDict(p) ? firstValue(p) : undefined;
      const id = isDict(inner) && !inner.has('parent') ? inner.get('id') : undefined;
      if (typeof id === 'string' && index.has(id)) out.push(p);
    }
  } else {
    const types = searchTypes(q.types.text, ctx.resolve);
    const pairs = wherePairs(q, ctx.resolve);
    for (const p of ledger) {
      if (!isDict(p)) continue;
      for (const t of types) {
        if (t !== '*' && !p.has(t)) continue;
        if (pairs.length > 0 && !matchesPairs(p.has(t) ? p.get(t) : firstValue(p), pairs)) continue;
        if (q.condition && !matchesCondition(firstValue(p), q.condition, ctx.resolve)) continue;
        out.push(p);
      }
    }
  }
  if (children) {
    out = out.flatMap((p) => {
      const id = policyInner(p)?.get('id');
      return id === undefined ? [] : (index.get(pyStr(id)) ?? []);
    });
  }
  return out;
}

/** Runs a parsed query. Throws CommandError (EdgeLake's code) on a bad reference or list key. */
export function runQuery(q: ParsedQuery, ledger: readonly PyValue[], ctx: QueryContext): string {
  let out = selectPolicies(q, ledger, ctx);
  const b = q.bring;
  if (out.length === 0) return '';
  if (!b) return jsonDumps(out);
  const bits = b.bits & ~BRING_BITS.children;
  const alone = b.fields.length === 0 && !b.withConditions;
  let withBring = !(hasBit(b.bits, 'children') && bits === BRING_BITS.bring);
  if (hasBit(bits, 'first') || hasBit(bits, 'recent')) {
    out = [hasBit(bits, 'first') ? out[0]! : out[out.length - 1]!];
    if (alone) withBring = false;
  }
  if (!withBring) return jsonDumps(out);
  let separator: string | undefined;
  if (b.separator) separator = isRef(b.separator) ? ctx.resolve(b.separator.text) : edgeWord(b.separator);
  const text = pullInfo(out, {
    fields: b.fields,
    separator,
    withConditions: b.withConditions,
    bits,
    resolve: ctx.resolve,
    node: ctx.node,
  });
  return hasBit(bits, 'table') && text !== '' ? jsonAsTable(text, hasBit(bits, 'sort'), b.sortFields) : text;
}

/** `blockchain get <text>` over `ledger`: parse (CommandError code 2 when malformed) and run. */
export function blockchainGet(text: string, ledger: readonly PyValue[], ctx: QueryContext): string {
  return runQuery(parseQuery(text), ledger, ctx);
}

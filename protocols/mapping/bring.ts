// The `bring` path language of message-client mappings (EdgeLake generic/utils_json.py L482-715 pull_info,
// L1030-1092 make_pull_keys; spec section 6 "Bring"), compiled once into a closure.
//
//   command := 'bring' ['.' modifiers] expr     the first word is dropped: modifiers and `separator`
//                                              have no effect in mappings (mqtt_client.py L2270-2285)
//   expr    := word (ws word)*                 words are concatenated without spaces
//   word    := alts | '"' text '"' | "'" text "'" | literal
//   alts    := path (':' path)*                `[a]:[b]` = the first alternative that is not missing
//   path    := ('[' key ']')+
//   key     := name | digits | '"' name '"'    digits index a list (and name an object key "0")
//            | '!' name                         a dictionary variable, resolved at compile time
//            | '*'                              the value under the object's first key (policy type)
//            | ''                               `[a][][b]`: one value per element of list [a];
//                                              a path that is only `[]` = the object's first key
//   literal := non-space characters (`_`, `-`, `x[a]`); `\n` `\r` `\t` are control characters
//
// Result of a compiled bring, per message: `undefined` = missing (absent key, null, ""), a JSON value,
// a `BringList` (one value per row: `[]` iteration, or a path whose value is a JSON array), or a
// `BringFailure` (bad data: `[a][]` where [a] is not a list, lists of different lengths).
//
// Not EdgeLake's bugs (spec: "Match the interface, not the bugs"): a list element lacking the key is
// missing for that element only (EdgeLake's `[1,,]` text corrupted the row); 0 and false are values
// (EdgeLake's truthiness test dropped them as missing); a word with a missing path makes the whole
// expression missing (EdgeLake built a partial name such as `machine_` from `[a] _ [b]`); objects
// concatenate as JSON text, not Python repr; the result is never re-parsed from text.
import { ConfigError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

/** One value per row (index = row). An element is `undefined` when missing for that row. */
export class BringList {
  constructor(readonly items: readonly unknown[]) {}
}

/** The message does not have the shape the bring expects; `reason` says where. */
export class BringFailure {
  constructor(readonly reason: string) {}
}

export type BringFn = (msg: unknown) => unknown;

export interface BringOptions {
  /** Resolves `[!name]` keys at compile time; an unknown name keeps the key as written (EdgeLake). */
  dictionary?: (name: string) => string | undefined;
  /** A path whose value is a JSON array yields a BringList (msg-client rule). Default true. */
  expandArrays?: boolean;
  /** Accept `[]` iteration. Default true (mapping policies use `readings` instead). */
  allowIteration?: boolean;
  /** Named in ConfigError messages, e.g. `topic 'sensors' column 'value'`. */
  where?: string;
  /** ConfigError code. Default 124 (EdgeLake MQTT_info_err). */
  code?: number;
}

export interface CompiledBring {
  readonly fn: BringFn;
  /** The expression as written, without the bring word (`[reading][value]`), for messages. */
  readonly text: string;
}

type Step = { kind: 'key'; key: string; index: number; guard: boolean } | { kind: 'iter' } | { kind: 'first' };
type Part = { kind: 'lit'; text: string } | { kind: 'alts'; paths: Step[][] };

const BRING_WORD = /^bring(?:\.[\w.(),]*)?(?=[\s[]|$)\s*/;
const CONTROL: Readonly<Record<string, string>> = { '\\n': '\n', '\\r': '\r', '\\t': '\t' };
const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

/** `bring [a]` / `bring.json [a]` -> `[a]`; undefined when the text is not a bring command. */
export function stripBringWord(text: string): string | undefined {
  const m = BRING_WORD.exec(text);
  return m ? text.slice(m[0].length) : undefined;
}

/** Compiles an expression (without the bring word). Throws ConfigError on a malformed expression. */
export function compileBring(expr: string, opts: BringOptions = {}): CompiledBring {
  const bad = (msg: string): ConfigError =>
    new ConfigError(`${opts.where ?? 'bring'}: ${msg} in bring '${expr}'`, { code: opts.code ?? Status.MqttInfo });
  const parts = parse(expr, opts, bad);
  if (parts.length === 0) throw bad('nothing to bring');
  return { fn: partsFn(parts, opts.expandArrays ?? true), text: expr.trim() };
}

function parse(src: string, opts: BringOptions, bad: (m: string) => ConfigError): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (isSpace(ch)) {
      i++;
    } else if (ch === '[') {
      const paths: Step[][] = [];
      for (;;) {
        const steps: Step[] = [];
        while (src[i] === '[') i = parseKey(src, i + 1, steps, opts, bad);
        if (steps.filter((s) => s.kind === 'iter').length > 1) throw bad('more than one [] in a path');
        if (opts.allowIteration === false && steps.some((s) => s.kind === 'iter')) throw bad('[] is not allowed');
        paths.push(steps);
        if (src[i] !== ':' || src[i + 1] !== '[') break;
        i++;
      }
      parts.push({ kind: 'alts', paths });
    } else if (ch === '"' || ch === "'") {
      const close = src.indexOf(ch, i + 1);
      if (close < 0) throw bad(`unclosed ${ch}`);
      parts.push({ kind: 'lit', text: src.slice(i + 1, close) });
      i = close + 1;
    } else {
      let j = i;
      while (j < src.length && !isSpace(src[j])) j++;
      const word = src.slice(i, j);
      parts.push({ kind: 'lit', text: CONTROL[word] ?? word });
      i = j;
    }
  }
  return parts;
}

/** Parses one key after its `[`; returns the offset after its `]`. */
function parseKey(src: string, i: number, steps: Step[], opts: BringOptions, bad: (m: string) => ConfigError): number {
  const q = src[i];
  if (q === '"' || q === "'") {
    const close = src.indexOf(q, i + 1);
    if (close < 0 || src[close + 1] !== ']') throw bad('unclosed quoted key');
    steps.push(keyStep(src.slice(i + 1, close), false));
    return close + 2;
  }
  const end = src.indexOf(']', i);
  if (end < 0) throw bad('unclosed [');
  let key = src.slice(i, end);
  if (key === '') steps.push({ kind: 'iter' });
  else if (key === '*') steps.push({ kind: 'first' });
  else {
    if (key.length > 1 && key[0] === '!' && opts.dictionary) {
      const v = opts.dictionary(key.slice(1));
      if (v !== undefined && v !== '') key = v;
    }
    steps.push(keyStep(key, /^[0-9]+$/.test(key)));
  }
  return end + 1;
}

function keyStep(key: string, numeric: boolean): Step {
  // `guard`: the key is also an Object.prototype member (`constructor`, `__proto__`): test own-ness,
  // so a message without it does not yield the inherited function or prototype.
  return { kind: 'key', key, index: numeric ? Number(key) : -1, guard: key in Object.prototype };
}

function step(cur: unknown, s: Step): unknown {
  if (cur === null || typeof cur !== 'object') return undefined;
  if (Array.isArray(cur)) {
    return s.kind === 'key' && s.index >= 0 && s.index < cur.length ? cur[s.index] : undefined;
  }
  const obj = cur as Record<string, unknown>;
  if (s.kind === 'key') return s.guard && !Object.hasOwn(obj, s.key) ? undefined : obj[s.key];
  for (const k in obj) if (Object.hasOwn(obj, k)) return obj[k]; // `*`: first key's value
  return undefined;
}

function walk(cur: unknown, steps: readonly Step[]): unknown {
  for (let i = 0; i < steps.length && cur !== undefined; i++) cur = step(cur, steps[i]!);
  return cur;
}

/** null and "" are missing, as in EdgeLake (spec: `Missing key, null or "" = error 125`). */
const present = (v: unknown): unknown => (v === null || v === '' ? undefined : v);

function pathFn(steps: readonly Step[], expand: boolean): BringFn {
  if (steps.length === 1 && steps[0]!.kind === 'iter') {
    // `[]` alone: the first key (EdgeLake's "policy type").
    return (m) => {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined;
      for (const k in m) if (Object.hasOwn(m, k)) return k;
      return undefined;
    };
  }
  const at = steps.findIndex((s) => s.kind === 'iter');
  if (at < 0) {
    const leaf = expand ? (v: unknown) => (Array.isArray(v) ? listOf(v) : present(v)) : present;
    // Short paths (most mappings) without the loop.
    const [s0, s1] = steps;
    if (steps.length === 1) return (m) => leaf(step(m, s0!));
    if (steps.length === 2) return (m) => leaf(step(step(m, s0!), s1!));
    return (m) => leaf(walk(m, steps));
  }
  const prefix = steps.slice(0, at);
  const suffix = steps.slice(at + 1);
  const where = pathText(prefix);
  return (m) => {
    const arr = walk(m, prefix);
    if (arr === undefined || arr === null) return undefined;
    if (!Array.isArray(arr)) return new BringFailure(`'${where}' is not a list`);
    if (arr.length === 0) return undefined;
    const items = new Array<unknown>(arr.length);
    for (let i = 0; i < arr.length; i++) items[i] = present(walk(arr[i], suffix));
    return new BringList(items);
  };
}

function listOf(arr: readonly unknown[]): BringList | undefined {
  return arr.length === 0 ? undefined : new BringList(arr.map(present));
}

function pathText(steps: readonly Step[]): string {
  return steps.map((s) => (s.kind === 'key' ? `[${s.key}]` : s.kind === 'iter' ? '[]' : '[*]')).join('');
}

function partsFn(parts: readonly Part[], expand: boolean): BringFn {
  const fns: (BringFn | string)[] = parts.map((p) => {
    if (p.kind === 'lit') return p.text;
    const alts = p.paths.map((steps) => pathFn(steps, expand));
    if (alts.length === 1) return alts[0]!;
    return (m: unknown) => {
      for (const f of alts) {
        const v = f(m);
        if (v !== undefined) return v;
      }
      return undefined;
    };
  });
  if (fns.length === 1) {
    const only = fns[0]!;
    if (typeof only !== 'string') return only; // one word: the value keeps its JSON type
    return only === '' ? () => undefined : () => only;
  }
  if (fns.every((f) => typeof f === 'string')) {
    const text = fns.join('');
    return text === '' ? () => undefined : () => text;
  }
  return (m) => concat(fns, m);
}

function concat(fns: readonly (BringFn | string)[], m: unknown): unknown {
  const vals = new Array<unknown>(fns.length);
  let n = -1;
  for (let i = 0; i < fns.length; i++) {
    const f = fns[i]!;
    const v = typeof f === 'string' ? f : f(m);
    if (v === undefined || v instanceof BringFailure) return v;
    if (v instanceof BringList) {
      if (n === -1) n = v.items.length;
      else if (v.items.length !== n) return new BringFailure(`lists of ${n} and ${v.items.length} elements`);
    }
    vals[i] = v;
  }
  if (n === -1) return joinText(vals, -1);
  const items = new Array<unknown>(n);
  for (let e = 0; e < n; e++) items[e] = joinText(vals, e);
  return new BringList(items);
}

/** Concatenates rendered values (element `e` of lists); missing if any part is. */
function joinText(vals: readonly unknown[], e: number): unknown {
  let out = '';
  for (const v of vals) {
    const x = v instanceof BringList ? v.items[e] : v;
    if (x === undefined) return undefined;
    const t = renderText(x);
    if (t instanceof BringFailure) return t;
    out += t;
  }
  return out === '' ? undefined : out;
}

/** A value as text: strings as-is, numbers and booleans as JS prints them, objects as JSON. */
export function renderText(v: unknown): string | BringFailure {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch (err) {
    // Only reachable with non-JSON input (cycles, BigInt inside objects): report it as bad data.
    return new BringFailure(
      `value cannot be written as JSON text (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

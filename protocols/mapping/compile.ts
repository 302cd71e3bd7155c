// compileTopic: one `topic = (..)` clause of `run msg client` / `run kafka consumer` (also REST `command:
// data` and gRPC, which use the same mapping) -> a Mapper, built once per topic: the bring strings are
// parsed here and the per-message work is plain closure calls (EdgeLake re-read its mapping lists per
// message: mqtt_client.py L1144-1200 process_using_bring, L1374-1481 get_msg_data).
//
// Rows (spec section 6 "Rows"): a bring that yields a list (`[readings][][value]`, or a path whose value is
// a JSON array) makes one row per element; all lists of a message must have the same length; a dbms or
// table bring that yields a list names each row's dbms/table. `now` columns come first and carry the same
// value in every row. Scalar columns (brings without a list, constants) appear in every row: EdgeLake put
// them in the first row only, which lost them for the other rows. A row with no column other than `now`
// is not emitted (EdgeLake's `now` only joined rows that another column began).
import { ConfigError } from '../../base/errors.js';
import { BringFailure, BringList, compileBring, stripBringWord, type BringFn } from './bring.js';
import { compileColumns, type ColumnPlan, type CompileOptions } from './columns.js';
import { normalizeName } from './names.js';
import { wrapMapper } from './payload.js';
import { MapCode, type MapCodeValue, type MapFailure, type MappedRow, type Mapper } from './result.js';
import { converterFor, ConversionFailure, unifyType, type Converter } from './types.js';
import { Status } from '../../base/status.js';

export type { CompileOptions } from './columns.js';

/** A topic clause as the command parser hands it over (actors/_shared/topic.ts). */
export interface TopicClause {
  readonly name: string;
  readonly dbms?: string | undefined;
  readonly table?: string | undefined;
  /** `column.*` members, raw: `column.<n>.<type>` -> string, `column.<n>` -> { type, value, optional? }. */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  /** A topic mapped by a policy is compiled with compilePolicy (EdgeLake then reads only `name`). */
  readonly policy?: readonly string[] | undefined;
}

/** A dbms or table: a constant (already normalized) or a bring evaluated per message. */
export type NameSource = { kind: 'const'; name: string } | { kind: 'bring'; fn: BringFn; text: string };

/** Compiles a dbms/table member: trimmed and normalized (spec: `" My-Tab.le/1 "` -> `my_tab_le_1`). */
export function compileName(value: unknown, what: 'dbms' | 'table', where: string, opts: CompileOptions): NameSource {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`${where}: missing mapping instruction for ${what}`, { code: Status.MqttInfo });
  }
  const expr = stripBringWord(value);
  if (expr === undefined) return { kind: 'const', name: normalizeName(value.trim()) };
  const b = compileBring(expr, {
    where: `${where} ${what}`,
    ...(opts.dictionary ? { dictionary: opts.dictionary } : {}),
  });
  return { kind: 'bring', fn: b.fn, text: b.text };
}

/** A brought name: text, number or boolean, trimmed and normalized; undefined when empty or not a name. */
export function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? undefined : normalizeName(t);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return normalizeName(String(v));
  return undefined;
}

export function compileTopic(topic: TopicClause, opts: CompileOptions = {}): Mapper {
  if (typeof topic.name !== 'string' || topic.name === '') {
    throw new ConfigError('topic: missing topic name', { code: Status.MqttInfo });
  }
  const where = `topic '${topic.name}'`;
  if (topic.policy !== undefined && topic.policy.length > 0) {
    throw new ConfigError(`${where}: maps by policy '${topic.policy.join(', ')}' (compile the policy instead)`, {
      code: Status.MqttInfo,
    });
  }
  const dbms = compileName(topic.dbms, 'dbms', where, opts);
  const table = compileName(topic.table, 'table', where, opts);
  const cols = compileColumns(topic.name, topic.extra ?? {}, opts);
  if (!cols.some((c) => !c.now)) {
    throw new ConfigError(`${where}: missing mapping instructions (no column other than now)`, {
      code: Status.MqttInfo,
    });
  }
  return wrapMapper(messageMapper(where, dbms, table, cols));
}

const pick = (v: unknown, e: number): unknown => (v instanceof BringList ? v.items[e] : v);
/** Bring results that need a second look: lists (they set the row count) and BringErrors. */
const special = (v: unknown): boolean => v instanceof BringList || v instanceof BringFailure;
const atText = (count: number, e: number, from: string): string =>
  count === -1 ? 'in message' : `in element ${e} of '${from}'`;

function messageMapper(where: string, dbms: NameSource, table: NameSource, cols: readonly ColumnPlan[]) {
  const n = cols.length;
  const convs: (Converter | undefined)[] = cols.map((c) => (c.type ? converterFor(c.type) : undefined));
  // Reused for every message: a mapper runs synchronously, one message at a time, and the hot path
  // allocates nothing but the row.
  const vals = new Array<unknown>(n);
  const types = new Array<unknown>(n);
  const failAt = (code: MapCodeValue, reason: string): MapFailure => ({ code, reason: `${where} ${reason}` });

  /** Slow path, when some bring gave a list or an error: the row count and the bring that set it. */
  function rowCount(dbmsV: unknown, tableV: unknown): { count: number; from: string } | MapFailure {
    const pulled: [unknown, string][] = [];
    for (let i = 0; i < n; i++) {
      const c = cols[i]!;
      pulled.push([vals[i], c.source]);
      if (c.typeBring) pulled.push([types[i], c.typeBring.text]);
    }
    if (dbms.kind === 'bring') pulled.push([dbmsV, dbms.text]);
    if (table.kind === 'bring') pulled.push([tableV, table.text]);
    let count = -1;
    let from = '';
    for (const [v, src] of pulled) {
      if (v instanceof BringFailure) return failAt(MapCode.missingValue, `pulls '${src}': ${v.reason}`);
      if (!(v instanceof BringList)) continue;
      if (count === -1) {
        count = v.items.length;
        from = src;
      } else if (v.items.length !== count) {
        return failAt(MapCode.missingValue, `pulls '${src}' with ${v.items.length} elements, '${from}' has ${count}`);
      }
    }
    return { count, from };
  }

  /** Appends the rows (one, or one per element) to `out`, or returns the first failure. */
  function emit(count: number, from: string, dbmsV: unknown, tableV: unknown, stamp: string, out: MappedRow[]) {
    const rows = count === -1 ? 1 : count;
    for (let e = 0; e < rows; e++) {
      const dbmsName = dbms.kind === 'const' ? dbms.name : nameOf(pick(dbmsV, e));
      if (dbmsName === undefined) {
        return failAt(MapCode.emptyDbms, `dbms bring '${textOf(dbms)}' is empty ${atText(count, e, from)}`);
      }
      const tableName = table.kind === 'const' ? table.name : nameOf(pick(tableV, e));
      if (tableName === undefined) {
        return failAt(MapCode.emptyTable, `table bring '${textOf(table)}' is empty ${atText(count, e, from)}`);
      }
      const row: Record<string, unknown> = {};
      let filled = 0;
      for (let i = 0; i < n; i++) {
        const c = cols[i]!;
        if (c.now) {
          row[c.name] = stamp;
          continue;
        }
        let conv = convs[i];
        if (!conv) {
          const t = pick(types[i], e);
          if (t === undefined) {
            if (c.optional) continue;
            const at = atText(count, e, from);
            return failAt(MapCode.missingValue, `column '${c.name}' type '${c.typeBring!.text}' is missing ${at}`);
          }
          const type = typeof t === 'string' ? unifyType(t) : undefined;
          if (!type) {
            return failAt(MapCode.typeNotSupported, `column '${c.name}': data type ${JSON.stringify(t)} not supported`);
          }
          conv = converterFor(type);
        }
        const raw = c.value ? pick(vals[i], e) : c.constant;
        if (raw === undefined) {
          if (c.optional) continue;
          const at = atText(count, e, from);
          return failAt(
            MapCode.missingValue,
            `column '${c.name}' pulls '${c.source}' which is missing ${at} - add 'optional = true'`,
          );
        }
        // Constants of a static type were converted at compile time.
        const v = c.value || !c.type ? conv(raw) : raw;
        if (v instanceof ConversionFailure) {
          return failAt(
            MapCode.badMapping,
            `column '${c.name}' pulls '${c.source}' ${atText(count, e, from)}: ${v.reason}`,
          );
        }
        row[c.name] = v;
        filled++;
      }
      if (filled > 0) out.push({ dbms: dbmsName, table: tableName, row });
    }
    return undefined;
  }

  return (m: Record<string, unknown>, stamp: string, out: MappedRow[]): MapFailure | undefined => {
    let slow = false;
    for (let i = 0; i < n; i++) {
      const c = cols[i]!;
      if (c.value) slow = special((vals[i] = c.value(m))) || slow;
      if (c.typeBring) slow = special((types[i] = c.typeBring.fn(m))) || slow;
    }
    const dbmsV = dbms.kind === 'bring' ? dbms.fn(m) : dbms.name;
    const tableV = table.kind === 'bring' ? table.fn(m) : table.name;
    if (!slow && !special(dbmsV) && !special(tableV)) return emit(-1, '', dbmsV, tableV, stamp, out);
    const rc = rowCount(dbmsV, tableV);
    return 'code' in rc ? rc : emit(rc.count, rc.from, dbmsV, tableV, stamp, out);
  };
}

function textOf(s: NameSource): string {
  return s.kind === 'bring' ? s.text : s.name;
}

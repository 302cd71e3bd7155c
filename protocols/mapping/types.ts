// Column data types of mappings and the conversion of message values to real JS values.
// Names are unified as EdgeLake does (generic/utils_data.py L47-90 data_types_unifier_, L226-253
// unify_data_type: case-insensitive, `char(n)` / `character(n)` kept, anything else is error 188).
//
//   kind       EdgeLake names                                             JS value in the row
//   string     str string varchar char character char(n) uuid date time   string (numbers/booleans as text,
//              byte bytestring nodeid ... (OPC-UA names)                  objects/lists as JSON text)
//   int        int integer int16 uint16 int32 uint32 sbyte statuscode     integer number
//   bigint     bigint int64 uint64                                        integer number; a digit string
//                                                                         beyond 2^53 becomes a BigInt
//   float      float float64 double decimal numeric                       number
//   bool       bool boolean                                               boolean (true/false/1/0)
//   timestamp  timestamp datetime                                         text, see timestamp.ts
//   null       nonetype                                                   null
//
// EdgeLake copied values into JSON text unchecked (an int column given "abc" wrote `abc`, `true` wrote
// `True`); here a value that does not fit its type is a ConversionFailure (error 124) naming the value.
import { toTimestamp, TimestampFailure } from './timestamp.js';

export type ValueKind = 'string' | 'int' | 'bigint' | 'float' | 'bool' | 'timestamp' | 'null';

export interface ColumnType {
  /** EdgeLake's unified name (`varchar`, `int`, `char(5)`, `timestamp`...), shown by `get msg clients`. */
  readonly sql: string;
  readonly kind: ValueKind;
}

export class ConversionFailure {
  constructor(readonly reason: string) {}
}

export type Converter = (v: unknown) => unknown;

const UNIFIER: Readonly<Record<string, ColumnType>> = (() => {
  const out: Record<string, ColumnType> = {};
  const add = (sql: string, kind: ValueKind, names: string[]): void => {
    for (const n of names) out[n] = { sql, kind };
  };
  add('varchar', 'string', ['str', 'string', 'varchar', 'bytestring', 'nodeid', 'expandednodeid']);
  add('varchar', 'string', ['qualifiedmame', 'localizedtext', 'variant', 'datavalue', 'diagnosticinfo']);
  add('uuid', 'string', ['uuid']);
  add('char', 'string', ['char', 'character']);
  add('char(1)', 'string', ['byte']);
  add('date', 'string', ['date']);
  add('time', 'string', ['time']);
  add('int', 'int', ['int', 'integer', 'int16', 'uint16', 'int32', 'uint32', 'sbyte', 'statuscode']);
  add('bigint', 'bigint', ['bigint', 'int64', 'uint64']);
  add('float', 'float', ['float', 'float64', 'double', 'decimal', 'numeric']);
  add('bool', 'bool', ['bool', 'boolean']);
  add('timestamp', 'timestamp', ['timestamp', 'datetime']);
  add('nonetype', 'null', ['nonetype']);
  return out;
})();

/** EdgeLake's type name unification; undefined = not supported (error 188). */
export function unifyType(name: string): ColumnType | undefined {
  const t = name.trim().toLowerCase();
  if (Object.hasOwn(UNIFIER, t)) return UNIFIER[t];
  const sp = t.indexOf(' ');
  if (sp > 0 && Object.hasOwn(UNIFIER, t.slice(0, sp))) {
    // `char varying`, `varchar not null ..`: EdgeLake keeps the words after the first one.
    const base = UNIFIER[t.slice(0, sp)]!;
    return { sql: base.sql + t.slice(sp), kind: base.kind };
  }
  const char = /^(?:char|character)\((\d+)\)$/.exec(t);
  return char ? { sql: `char(${char[1]})`, kind: 'string' } : undefined;
}

const INT_TEXT = /^[+-]?[0-9]+(?:\.0*)?$/;
const FLOAT_TEXT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

function toText(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v);
  } catch (err) {
    // Only non-JSON input gets here (a cycle, a BigInt inside an object).
    return new ConversionFailure(`value cannot be written as JSON text (${err instanceof Error ? err.message : err})`);
  }
}

function toInteger(v: unknown, big: boolean): unknown {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    return new ConversionFailure(
      Number.isInteger(v) ? `${v} is beyond 2^53 and was not kept exactly` : `${describe(v)} is not an integer`,
    );
  }
  if (typeof v === 'bigint') return big ? v : new ConversionFailure(`${v} is beyond the int range`);
  if (typeof v === 'string') {
    const t = v.trim();
    if (INT_TEXT.test(t)) {
      const digits = t.replace(/\.0*$/, '');
      const n = Number(digits);
      if (Number.isSafeInteger(n)) return n;
      if (big) return BigInt(digits);
      return new ConversionFailure(`${describe(v)} is beyond 2^53 (use type int64)`);
    }
  }
  return new ConversionFailure(`${describe(v)} is not an integer`);
}

function toFloat(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : new ConversionFailure(`${v} is not a finite number`);
  if (typeof v === 'string') {
    const t = v.trim();
    const n = FLOAT_TEXT.test(t) ? Number(t) : NaN;
    if (Number.isFinite(n)) return n;
  }
  return new ConversionFailure(`${describe(v)} is not a number`);
}

function toBool(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
  }
  return new ConversionFailure(`${describe(v)} is not a boolean (true, false, 1, 0)`);
}

function toTs(v: unknown): unknown {
  const r = toTimestamp(v);
  return r instanceof TimestampFailure ? new ConversionFailure(r.reason) : r;
}

const CONVERTERS: Readonly<Record<ValueKind, Converter>> = {
  string: toText,
  int: (v) => toInteger(v, false),
  bigint: (v) => toInteger(v, true),
  float: toFloat,
  bool: toBool,
  timestamp: toTs,
  null: () => null,
};

/** The converter of a type: returns the JS value, or a ConversionFailure. Never throws. */
export function converterFor(t: ColumnType): Converter {
  return CONVERTERS[t.kind];
}

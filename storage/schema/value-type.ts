// One value -> its EdgeLake type (suggest_create_table.py get_column_type_by_value, L171-223), and
// two types -> the type that holds both (resolve_data_type, L123-165). Both verified against EdgeLake's
// own functions: test/storage/schema/fixtures/edgelake-oracle.json.
import { ProtocolError } from '../../base/errors.js';
import { isDateText, isIpText, isTimeText, isTimestampText, isUuidText } from './detect.js';
import { pyFloatRepr, pyIsDigit, pyIsFloat, pyLen } from './python.js';
import { DATE, TIME, TIMESTAMP, charLength, charType, type EdgeType } from './types.js';

/**
 * A JSON number with its source text. JSON.parse turns `22.0` into 22, which EdgeLake (Python's json)
 * keeps as a float and types DECIMAL, not INT; a parser that keeps the literal passes it this way.
 */
export class JsonNumber {
  constructor(readonly text: string) {
    if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) {
      throw new ProtocolError(`not a JSON number: ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
}

// 0x5F5E0FF: "it needs to be 0x7fff ffff - but we assume big int if the numbers are near this range" (L181)
const INT_LIMIT = 99_999_999;

function intType(abs: number | bigint): EdgeType {
  return abs > INT_LIMIT ? 'BIGINT' : 'INT';
}

function floatType(x: number): EdgeType {
  // `value and 1 <= len(str(value).split(".")[-1]) <= 5` (L186)
  const frac = pyFloatRepr(x).split('.').pop() ?? '';
  return x !== 0 && frac.length >= 1 && frac.length <= 5 ? 'DECIMAL' : 'FLOAT';
}

function stringType(column: string, value: string): EdgeType {
  if (value === '') return 'VARCHAR';
  if (isUuidText(value)) return 'UUID';
  if (isTimestampText(value)) return TIMESTAMP;
  if (isDateText(value)) return DATE;
  if (isTimeText(value)) return TIME;
  if (isIpText(value)) return 'CIDR';
  // "Taking a guess between int and timestamp": epoch seconds from 2000-01-01 in a *time* column.
  if (column.includes('time') && pyIsDigit(value) && Number(value) >= 946684800) return TIMESTAMP;
  const len = pyLen(value);
  if (len <= 19 && value.includes('.') && pyIsFloat(value)) return 'FLOAT';
  if (pyIsDigit(value) || (value.startsWith('-') && len > 1 && pyIsDigit(value.slice(1)))) {
    return len < 9 ? 'INT' : 'BIGINT';
  }
  return len <= 8 ? charType(len) : 'VARCHAR';
}

/**
 * The type EdgeLake infers for one value of column `column` (the normalised name, before the `_`
 * digit prefix). undefined for null/undefined: the type stays unknown (EdgeLake's "").
 * Lists, objects and anything else are VARCHAR.
 */
export function valueType(column: string, value: unknown): EdgeType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'bigint') return intType(value < 0n ? -value : value);
  if (typeof value === 'number') return Number.isInteger(value) ? intType(Math.abs(value)) : floatType(value);
  if (value instanceof JsonNumber) {
    // Python's json: a literal with '.', 'e' or 'E' is a float, anything else an int.
    if (/[.eE]/.test(value.text)) return floatType(Number(value.text));
    const n = BigInt(value.text);
    return intType(n < 0n ? -n : n);
  }
  if (typeof value === 'string') return stringType(column, value);
  return 'VARCHAR';
}

/** resolve_data_type(existing, incoming), including its quirks (see README.md). */
export function mergeTypes(existing: EdgeType, incoming: EdgeType): EdgeType {
  if (existing === incoming) return existing; // set_column_name_type only resolves differing types
  const a = charLength(existing);
  const b = charLength(incoming);
  if (a !== undefined && b !== undefined) return a > b ? existing : incoming;
  if (a !== undefined || b !== undefined) {
    return existing === 'VARCHAR' || incoming === 'VARCHAR' ? 'VARCHAR' : charType(32);
  }
  // "alphabetically organize such that only one combination is tested"
  const [first, second] = existing < incoming ? [existing, incoming] : [incoming, existing];
  if (first === 'DECIMAL') return second === 'INT' ? 'DECIMAL' : second === 'FLOAT' ? 'FLOAT' : 'VARCHAR';
  if (first === 'FLOAT') return 'FLOAT';
  if (first === 'BIGINT' && (second === 'INT' || second === 'DECIMAL')) return 'BIGINT';
  return 'VARCHAR';
}

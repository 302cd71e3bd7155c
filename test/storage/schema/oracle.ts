// Loads the fixtures of test/storage/schema/fixtures (see the README there).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { JsonNumber } from '../../../storage/schema/value-type.js';
import { pyFloatRepr } from '../../../storage/schema/python.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const SHARED_GOLDEN = fileURLToPath(new URL('../../../../shared/spec/golden/', import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

export type Encoded = string | boolean | null | { int: string } | { float: string } | { json: string };

export interface OracleCreate {
  table: string;
  withTsdInfo: boolean;
  /** [key, value] pairs, text order (a parsed object would put the key "2" first). */
  rows: [string, Encoded][][];
  columns: [string, string][];
  generic: string;
  published: string;
  sqlite: string[];
  psql: string;
}

export interface Oracle {
  values: { col: string; value: Encoded; type: string; lenient: string }[];
  merges: { a: string; b: string; type: string }[];
  reprs: { bits: string; repr: string }[];
  names: { key: string; name: string; column: string }[];
  creates: OracleCreate[];
}

export const oracle = JSON.parse(fixtureText('edgelake-oracle.json')) as Oracle;

export function bitsToFloat(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

/**
 * A Python value as edgelake-rt sees it: ints as JsonNumber (exact, any size), floats as numbers, or as
 * JsonNumber with their repr when the float is whole (JSON.parse would make 22.0 an int).
 */
export function decode(v: Encoded): unknown {
  if (v === null || typeof v !== 'object') return v;
  if ('int' in v) return new JsonNumber(v.int);
  if ('float' in v) {
    const x = bitsToFloat(v.float);
    return Number.isInteger(x) ? new JsonNumber(pyFloatRepr(x)) : x;
  }
  return JSON.parse(v.json) as unknown;
}

// Shared by the mapping tests: a fixed `now` and result unwrapping that fails with the whole result shown.
import assert from 'node:assert/strict';
import type { MapFailure, MappedRow, MapResult } from '../../../protocols/mapping/result.js';

export const NOW = new Date('2024-05-01T10:00:00.123Z');
/** NOW as EdgeLake writes `now`. */
export const STAMP = '2024-05-01T10:00:00.123000Z';

export function rows(r: MapResult): MappedRow[] {
  assert.ok('rows' in r, JSON.stringify(r));
  return r.rows;
}

export function failure(r: MapResult): MapFailure {
  assert.ok('error' in r, JSON.stringify(r));
  return r.error;
}

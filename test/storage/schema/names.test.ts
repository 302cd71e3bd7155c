// Name normalisation (utils_data.py L30-44) and the SQL safety around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isPlainIdentifier,
  isSafeIdentifier,
  normalizeColumnName,
  normalizeTableName,
  quoteIdent,
  resetStrChars,
  sqlName,
} from '../../../storage/schema/names.js';

test('A-Z are lowered and _ space - . / \\ : become _', () => {
  assert.equal(normalizeColumnName('Temp C'), 'temp_c');
  assert.equal(normalizeColumnName('a.b/c\\d:e-f_g h'), 'a_b_c_d_e_f_g_h');
  assert.equal(normalizeColumnName('  Padded\t'), 'padded', 'the key is stripped first');
});

test('other characters below 256 become 0x%02x, Latin-1 included', () => {
  assert.equal(resetStrChars('temp°C'), 'temp0xb0c');
  assert.equal(resetStrChars('naïve'), 'na0xefve');
  assert.equal(resetStrChars('a+b'), 'a0x2bb');
  assert.equal(resetStrChars('\u0000'), '0x00');
  assert.equal(resetStrChars('É'), '0xc9', 'only A-Z are lowered');
});

test('characters from U+0100 are kept, invisible ones spelled out', () => {
  assert.equal(normalizeColumnName('Ωmega'), 'Ωmega');
  assert.equal(normalizeColumnName('温度'), '温度');
  assert.equal(normalizeColumnName('x\u200by'), 'x0x200by');
  assert.equal(normalizeColumnName('a\u202eb'), 'a0x202eb');
  assert.equal(normalizeColumnName('a\u2028b'), 'a0x2028b');
  assert.equal(normalizeColumnName('a\ud800b'), 'a0xd800b', 'a lone surrogate');
  assert.equal(normalizeColumnName('😀'), '😀');
});

test('all-digit names get a _ prefix; empty names are no names', () => {
  assert.equal(normalizeColumnName('123'), '_123');
  assert.equal(normalizeColumnName(' 42 '), '_42');
  assert.equal(normalizeColumnName('1st'), '1st');
  assert.equal(normalizeColumnName(''), undefined);
  assert.equal(normalizeColumnName(' \t\u3000'), undefined);
});

test('SQL injection attempts come out as safe identifiers', () => {
  for (const attack of [
    'a"; drop table x; --',
    "x'); DELETE FROM t; --",
    'a` OR 1=1',
    'x\u0000y',
    '"',
    ';',
    '--',
    '/*',
  ]) {
    const n = normalizeColumnName(attack);
    assert.ok(n !== undefined && isSafeIdentifier(n), JSON.stringify(attack));
    assert.doesNotMatch(n, /["';`\s\\/*-]/);
  }
  assert.equal(normalizeColumnName('a"; drop table x; --'), 'a0x220x3b_drop_table_x0x3b___');
});

test('isSafeIdentifier accepts only what normalisation produces', () => {
  for (const ok of ['a', '_2', '1st', 'temp_c', 'Ωmega', '0x2bv']) assert.ok(isSafeIdentifier(ok), ok);
  for (const bad of ['', 'A', 'a b', 'a"b', 'a;b', 'é', 'x\u200by', 'a\ud800', 'x'.repeat(256)])
    assert.ok(!isSafeIdentifier(bad), JSON.stringify(bad));
});

test('names are quoted unless plain, and unsafe names throw', () => {
  assert.equal(quoteIdent('device', 'sqlite'), '"device"');
  assert.equal(sqlName('device', 'psql'), 'device');
  assert.equal(sqlName('timestamp', 'psql'), 'timestamp', 'EdgeLake writes it bare and both engines take it');
  assert.equal(sqlName('order', 'psql'), '"order"');
  assert.equal(sqlName('1st', 'sqlite'), '"1st"');
  assert.equal(sqlName('Ωmega', 'sqlite'), '"Ωmega"');
  assert.ok(!isPlainIdentifier('select'));
  assert.throws(() => quoteIdent('a"b', 'psql'), { name: 'DbmsError' });
});

test('table names normalise like columns and must come out safe', () => {
  assert.equal(normalizeTableName('Readings-2024'), 'readings_2024');
  assert.throws(() => normalizeTableName('   '), { name: 'DbmsError' });
  assert.throws(() => normalizeTableName('+'.repeat(100)), { name: 'DbmsError' });
});

// Name rule of spec section 6 / section 4 (EdgeLake utils_data.py L29-44; VERIFIED examples from the spec).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeName } from '../../../protocols/mapping/names.js';

test('a trimmed name is mapped by the EdgeLake rule: " My-Tab.le/1 " becomes my_tab_le_1', () => {
  assert.equal(normalizeName(' My-Tab.le/1 '.trim()), 'my_tab_le_1');
  assert.equal(normalizeName('Test'), 'test');
});

test('_ space - . / \\ : become underscores, letters are lowered, digits kept', () => {
  assert.equal(normalizeName('a_b c-d.e/f\\g:h'), 'a_b_c_d_e_f_g_h');
  assert.equal(normalizeName('ABCxyz019'), 'abcxyz019');
});

test('other characters below 256 become 0x%02x, characters above 255 are kept', () => {
  assert.equal(normalizeName('a#b'), 'a0x23b');
  assert.equal(normalizeName('\t'), '0x09');
  assert.equal(normalizeName('é'), '0xe9');
  assert.equal(normalizeName('温度'), '温度');
});

test('names already in normal form are returned unchanged', () => {
  assert.equal(normalizeName('temp_1'), 'temp_1');
  assert.equal(normalizeName(''), '');
});

test('the digit prefix is added only when asked (operator rule, not the message client)', () => {
  assert.equal(normalizeName('123'), '123');
  assert.equal(normalizeName('123', { digitPrefix: true }), '_123');
  assert.equal(normalizeName('1a', { digitPrefix: true }), '1a');
});

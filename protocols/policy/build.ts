// Building policies in the dictionary (generic/params.py set_dictionary L1496-1605, word_to_value_object
// L1453-1490, json_str_replace_key_with_value L1284-1327):
//   set policy <var> <assignment> ('and' <assignment>)*       also `set policy <var>[k] = v ...`
//   assignment := path '=' value | path '+' value             '+' appends to a list
//   path       := '[' key ']' ('[' key ']')*                  ['k'] quotes dropped, [!v] from the dictionary;
//                                                             every key but the last must exist
//   value      := !var (typed: .int -> number, .float -> float, .bool -> true/false) | word | "text" |
//                 'text' (quotes dropped) | {json} (dict; invalid JSON stays text) | [list] (see pyliteral.ts)
// The variable holds json.dumps text; empty means `{}` (`set new_operator = ""` starts a new policy).
// JSON with references (`<new_policy = {"operator": {"name": !node_name, "port": !port.int}}>`): every
// `!name` outside a string becomes its value when the policy is used (`blockchain insert`, JSON filters).
import { CommandError } from '../../base/errors.js';
import { parseVarRef } from '../command/dictionary.js';
import { tokenize } from '../command/lexer.js';
import { edgeWord, type WordResolver } from './keys.js';
import { pyStr, jsonDumps, jsonString } from './pyrepr.js';
import { strToList } from './pyliteral.js';
import { PyFloat, isDict, parseJson, parseJsonText, pyFloat, type PyDict, type PyValue } from './pyvalue.js';
import { Status } from '../../base/status.js';

/** A dictionary value as EdgeLake's get_value_if_available returns it: casts give numbers and bools. */
export type Scalar = string | number | bigint | boolean | PyFloat;
export type ValueResolver = (word: string) => Scalar;

const isRef = (w: string): boolean => w.length > 1 && (w[0] === '!' || w[0] === '$');

/** Types a text resolver's results by the word's cast (`!p.int` -> 32148, `.float` -> 1.0, `.bool` -> true). */
export function typedResolver(resolveText: WordResolver): ValueResolver {
  return (word) => {
    const text = resolveText(word);
    if (!isRef(word) || text === '') return text;
    switch (parseVarRef(word.slice(1)).cast) {
      case 'int':
      case 'len':
        return Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text);
      case 'float':
        return pyFloat(Number.parseFloat(text));
      case 'bool':
        return text === 'true';
      default:
        return text;
    }
  };
}

const structure = (message: string): CommandError => new CommandError(message, { code: Status.CommandStructure });

/** word_to_value_object. */
function wordValue(word: string, resolve: ValueResolver): PyValue {
  if (word.length <= 1) return word;
  const v = resolve(word);
  if (typeof v !== 'string' || v.length <= 1) return v;
  if (v[0] === "'") return v.endsWith("'") ? v.slice(1, -1) : v;
  if (v[0] === '{' && v.endsWith('}')) {
    try {
      const d = parseJsonText(v);
      return isDict(d) ? d : word;
    } catch (err) {
      // EdgeLake: str_to_json fails -> the word itself is stored.
      if (err instanceof CommandError) return word;
      throw err;
    }
  }
  if (v[0] === '[' && v.endsWith(']')) {
    const list = strToList(v);
    if (list === undefined) return word;
    if (!Array.isArray(list)) return list;
    return list.map((e) =>
      typeof e === 'string' && e.length > 2 && e[0] === "'" && e.endsWith("'") ? e.slice(1, -1) : e,
    );
  }
  return v;
}

export interface SetPolicy {
  /** The dictionary variable. */
  name: string;
  /** The words after it, as EdgeLake splits them. */
  words: string[];
}

/** Splits the text after `set policy`. Throws CommandError (code 2) when it is empty. */
export function parseSetPolicy(text: string): SetPolicy {
  const words = tokenize(text).map(edgeWord);
  const first = words[0];
  if (first === undefined || words.length < 3) throw structure(`Missing info in 'set policy' command`);
  const open = first.indexOf('[');
  if (open > 0 && open < first.length - 2)
    return { name: first.slice(0, open), words: [first.slice(open), ...words.slice(1)] };
  return { name: first, words: words.slice(1) };
}

/**
 * Applies the assignments to the JSON text a variable holds ('' = a new policy) and returns the new
 * json.dumps text. Nothing changes on error: CommandError code 6 (the text is not a JSON object) or 2.
 */
export function applySetPolicy(
  name: string,
  current: string,
  words: readonly string[],
  resolve: ValueResolver,
): string {
  let policy: PyDict = new Map();
  if (current !== '') {
    let v: PyValue | undefined;
    try {
      v = parseJsonText(current);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
    }
    if (!isDict(v))
      throw new CommandError(`Set Policy failed: The initial value assigned to '${name}' is not in JSON structure`, {
        code: Status.WrongJsonStructure,
      });
    policy = v;
  }
  for (let index = 0; index < words.length; index += 4) {
    if (index > 3 && words[index - 1] !== 'and')
      throw structure(`Error in 'set policy' command - miissing 'and' keyword between assignments`);
    if (index + 3 > words.length) throw structure(`Error in 'set policy' command - assignment info is not complete`);
    const op = words[index + 1];
    if (op !== '=' && op !== '+') throw structure(`Set Policy failed: Missing equal sign (=) in JSON assignment`);
    const value = wordValue(words[index + 2]!, resolve);
    const sections = words[index]!.split(']');
    const depthNeeded = sections.length - 2;
    let inner: PyValue = policy;
    let key = '';
    let depth = 0;
    for (; depth < sections.length; depth++) {
      const s = sections[depth]!;
      if (s.length < 2) throw structure(`Command 'set policy' failed: Wrong key structure in assignment`);
      key = pyStr(resolve(s[1] === "'" ? s.slice(2, -1) : s.slice(1)));
      if (!(depth < depthNeeded && isDict(inner) && inner.has(key))) break;
      inner = inner.get(key)!;
    }
    if (depth !== depthNeeded) throw structure(`Command 'set policy' failed: Error in depth of assignment key`);
    if (op === '=') {
      if (!isDict(inner))
        throw structure(`Command 'set policy' failed: The key: '${key}' does not lead to a dictionary`);
      inner.set(key, value);
    } else {
      const list = isDict(inner) ? inner.get(key) : undefined;
      if (!Array.isArray(list))
        throw structure(`Command 'set policy' failed: The key: '${key}' does not lead to a list`);
      list.push(value);
    }
  }
  return jsonDumps(policy);
}

/** A `!name` reference's text in JSON: strings quoted, JSON lists/objects and numbers as they are. */
function refJson(word: string, v: Scalar): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v !== 'string') return pyStr(v);
  if (v === '') throw structure(`Policy reference '${word}' has no value`);
  if ((v[0] === '[' && v.endsWith(']')) || (v[0] === '{' && v.endsWith('}'))) {
    try {
      parseJson(v);
      return v;
    } catch (err) {
      // Not JSON after all: quoted as text below.
      if (!(err instanceof CommandError)) throw err;
    }
  }
  // replace_non_supported_chars drops one pair of surrounding ' or ` (params.py L1313, utils_json L448).
  const q = v[0];
  const text = v.length > 2 && (q === "'" || q === '`') && v.endsWith(q) ? v.slice(1, -1) : v;
  return jsonString(text);
}

/**
 * Replaces every `!name[.cast]` outside JSON strings by its value (strings JSON-quoted). EdgeLake swaps
 * quotes inside values for '|' and back, breaking values that hold quotes; here they are escaped.
 * Throws CommandError (code 2) for a reference without a value.
 */
export function substituteJsonRefs(text: string, resolve: ValueResolver): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') {
        out += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = false;
      out += c;
      continue;
    }
    if (c === '"') inString = true;
    const m = c === '!' && /[\s:[{,]/.test(text[i - 1] ?? '') ? /^![A-Za-z0-9_.]+/.exec(text.slice(i)) : null;
    if (!m) {
      out += c;
      continue;
    }
    out += refJson(m[0], resolve(m[0]));
    i += m[0].length - 1;
  }
  return out;
}

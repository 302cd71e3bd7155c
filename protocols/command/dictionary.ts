// The node's dictionary: `!name` values, as EdgeLake keeps them (generic/params.py).
//   !name              the value, or '' when undefined
//   !name.int|.float|.str|.bool|.len|.name   casts (params.py L409-562):
//     .int of non-integer text -> '' ; .float of 12 -> 12.0 ; .bool false for '' and 'false'
//     .len = entries of a JSON list/object, else string length ; .name = lower case, spaces -> _
//   !name[a:b]         substring (names of 2+ characters)
//   $NAME              environment variable; a value starting with ! is resolved again
//   !dir/sub/x.al      a name that is not defined is read as a path: split before each `! $ . / \`,
//                      each `!`/`$` piece resolved, the rest kept (params.py `get_value_if_available` ->
//                      `get_path`); a piece that does not resolve makes the whole value ''
// Values are text, as in EdgeLake.

export type Cast = 'int' | 'float' | 'str' | 'bool' | 'len' | 'name';
const CASTS = new Set<string>(['int', 'float', 'str', 'bool', 'len', 'name']);

import { maskSecrets } from '../../base/mask.js';

const SECRET_NAME = /pass(word)?|secret|token|private_key|api_key/i;

export interface VarRef {
  name: string;
  cast?: Cast;
  slice?: [number | undefined, number | undefined];
}

/** Splits `name.int` / `name[1:3]` (without the leading `!`). */
export function parseVarRef(body: string): VarRef {
  const slice = /^(.{2,}?)\[(-?\d*):(-?\d*)\]$/.exec(body);
  if (slice) {
    return {
      name: slice[1]!,
      slice: [slice[2] === '' ? undefined : Number(slice[2]), slice[3] === '' ? undefined : Number(slice[3])],
    };
  }
  const dot = body.lastIndexOf('.');
  if (dot > 0 && CASTS.has(body.slice(dot + 1))) return { name: body.slice(0, dot), cast: body.slice(dot + 1) as Cast };
  return { name: body };
}

export function applyCast(value: string, cast: Cast | undefined): string {
  switch (cast) {
    case undefined:
    case 'str':
      return value;
    case 'int': {
      const t = value.trim();
      return /^-?\d+$/.test(t) ? String(Number.parseInt(t, 10)) : '';
    }
    case 'float': {
      const t = value.trim();
      if (t === '' || !Number.isFinite(Number(t))) return '';
      const n = Number(t);
      return Number.isInteger(n) ? `${n}.0` : String(n);
    }
    case 'bool':
      return value === '' || value.toLowerCase() === 'false' ? 'false' : 'true';
    case 'len': {
      const t = value.trim();
      if (t.startsWith('[') || t.startsWith('{')) {
        try {
          const j: unknown = JSON.parse(t);
          if (Array.isArray(j)) return String(j.length);
          if (j && typeof j === 'object') return String(Object.keys(j).length);
        } catch {
          // Not JSON after all: fall through to the string length, as EdgeLake does.
          return String(value.length);
        }
      }
      return String(value.length);
    }
    case 'name':
      return value.toLowerCase().replace(/ /g, '_');
  }
}

export class Dictionary {
  private readonly values = new Map<string, string>();

  constructor(
    initial: Record<string, string> = {},
    private readonly env: Record<string, string | undefined> = process.env,
  ) {
    for (const [k, v] of Object.entries(initial)) this.values.set(k, v);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** An empty value deletes the key (EdgeLake: params.py L246-256). */
  set(name: string, value: string): void {
    if (value === '') this.values.delete(name);
    else this.values.set(name, value);
  }

  delete(name: string): void {
    this.values.delete(name);
  }

  setEnv(name: string, value: string): void {
    this.env[name] = value;
  }

  entries(): [string, string][] {
    return [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  /** Entries for display: secrets masked. */
  displayEntries(): [string, string][] {
    // A value may be a command with a password in it (`cmd = connect dbms ... password = x`).
    return this.entries().map(([k, v]) => [k, SECRET_NAME.test(k) ? '******' : maskSecrets(v)]);
  }

  /** Resolves one word: `!name...` from here, `$NAME` from the environment, anything else as is. */
  resolveWord(word: string, depth = 0): string {
    if (depth > 8) return '';
    if (word.length > 1 && word.startsWith('!')) {
      const ref = parseVarRef(word.slice(1));
      let v = this.values.get(ref.name) || this.path(`!${ref.name}`);
      if (ref.slice) v = v.slice(ref.slice[0], ref.slice[1]);
      return applyCast(v, ref.cast);
    }
    if (word.length > 1 && word.startsWith('$')) {
      const ref = parseVarRef(word.slice(1));
      const v = this.env[ref.name] || this.path(`$${ref.name}`);
      return applyCast(v.startsWith('!') ? this.resolveWord(v, depth + 1) : v, ref.cast);
    }
    return word;
  }

  /**
   * A reference that is not a name on its own, read as a path (EdgeLake: params.py `get_path`): pieces start at
   * each `! $ . / \` after the first character; `!x`/`$X` pieces are looked up, others kept. Any piece that does
   * not resolve makes the result '' (EdgeLake returns the empty string, never half a path).
   */
  private path(encoded: string): string {
    const pieces = encoded.split(/(?=[!$./\\])/);
    // No separator after the leading reference: an undefined name, not a path.
    if (pieces.length < 2) return '';
    let out = '';
    for (const p of pieces) {
      if (p.length > 1 && (p.startsWith('!') || p.startsWith('$'))) {
        const v = p.startsWith('!') ? this.values.get(p.slice(1)) : this.env[p.slice(1)];
        if (!v) return '';
        out += v;
      } else if (p === '!' || p === '$') return '';
      else out += p;
    }
    return out;
  }

  /** Is this word a reference (as opposed to a literal)? */
  static isReference(word: string): boolean {
    return word.length > 1 && (word.startsWith('!') || word.startsWith('$'));
  }
}

// One schema per service: the `run <service> where ...` options and the node.yaml section of that
// service validate through the same code. Values from commands arrive as text ("true", "30 seconds"),
// values from YAML as typed scalars; both are coerced here. Unknown keys are errors, and every
// error names its key path (`services.operator.compress_json: expected true|false (got "yes")`).
import { ConfigError } from '../../base/errors.js';

export interface Field<T> {
  /** Human description of the accepted values, for error messages and docs. */
  readonly expects: string;
  readonly optional: boolean;
  /** Accepts the key more than once (`dest = file and dest = dbms`); the value becomes an array. */
  readonly repeat: boolean;
  /** Never echoed back by `get` commands or logs. */
  readonly secret: boolean;
  readonly doc: string;
  parse(value: unknown, path: string): T;
  readonly defaultValue: T | undefined;
}

type Opts = { doc?: string; secret?: boolean };

function field<T>(
  expects: string,
  parse: (v: unknown, path: string) => T,
  dflt: T | undefined,
  opts: Opts = {},
): Field<T> {
  return {
    expects,
    optional: dflt === undefined,
    repeat: false,
    secret: opts.secret ?? false,
    doc: opts.doc ?? '',
    parse,
    defaultValue: dflt,
  };
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

export function typeError(path: string, expects: string, got: unknown): ConfigError {
  return new ConfigError(`${path}: expected ${expects} (got ${show(got)})`);
}

function asText(v: unknown, path: string, expects: string): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw typeError(path, expects, v);
}

export function str(dflt: string, opts?: Opts): Field<string>;
export function str(dflt?: undefined, opts?: Opts): Field<string | undefined>;
export function str(dflt?: string, opts?: Opts): Field<string> {
  return field('text', (v, p) => asText(v, p, 'text'), dflt, opts);
}

export function bool(dflt: boolean, opts?: Opts): Field<boolean>;
export function bool(dflt?: undefined, opts?: Opts): Field<boolean | undefined>;
export function bool(dflt?: boolean, opts?: Opts): Field<boolean> {
  return field(
    'true|false',
    (v, p) => {
      if (typeof v === 'boolean') return v;
      const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw typeError(p, 'true|false', v);
    },
    dflt,
    opts,
  );
}

export function int(dflt: number, range?: { min?: number; max?: number }, opts?: Opts): Field<number>;
export function int(dflt?: undefined, range?: { min?: number; max?: number }, opts?: Opts): Field<number | undefined>;
export function int(dflt?: number, range: { min?: number; max?: number } = {}, opts?: Opts): Field<number> {
  const { min = -Infinity, max = Infinity } = range;
  const expects = `an integer${Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` <= ${max}` : ''}`;
  return field(
    expects,
    (v, p) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) throw typeError(p, expects, v);
      return n;
    },
    dflt,
    opts,
  );
}

export function num(dflt: number, opts?: Opts): Field<number>;
export function num(dflt?: undefined, opts?: Opts): Field<number | undefined>;
export function num(dflt?: number, opts?: Opts): Field<number> {
  return field(
    'a number',
    (v, p) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw typeError(p, 'a number', v);
      return n;
    },
    dflt,
    opts,
  );
}

export function oneOf<const V extends string>(values: readonly V[], dflt: V, opts?: Opts): Field<V>;
export function oneOf<const V extends string>(
  values: readonly V[],
  dflt?: undefined,
  opts?: Opts,
): Field<V | undefined>;
export function oneOf<const V extends string>(values: readonly V[], dflt?: V, opts?: Opts): Field<V> {
  const expects = values.join('|');
  return field(
    expects,
    (v, p) => {
      const s = typeof v === 'string' ? v.trim().toLowerCase() : v;
      if (typeof s === 'string' && (values as readonly string[]).includes(s)) return s as V;
      throw typeError(p, expects, v);
    },
    dflt,
    opts,
  );
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

/** Parses `30 seconds`, `1 minute`, `250 ms`, `2h` or a bare number of seconds. Returns seconds. */
export function parseDuration(v: unknown, path: string): number {
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    if (m) {
      const unit = m[2]!.toLowerCase();
      const mult = unit === '' ? 1 : UNIT_SECONDS[unit];
      if (mult !== undefined) return Number(m[1]) * mult;
    }
  }
  throw typeError(path, 'a duration like "30 seconds" or "500 ms"', v);
}

export function duration(dfltSeconds: number, opts?: Opts): Field<number>;
export function duration(dfltSeconds?: undefined, opts?: Opts): Field<number | undefined>;
export function duration(dfltSeconds?: number, opts?: Opts): Field<number> {
  return field('a duration like "30 seconds"', parseDuration, dfltSeconds, opts);
}

export function port(dflt: number, opts?: Opts): Field<number>;
export function port(dflt?: undefined, opts?: Opts): Field<number | undefined>;
export function port(dflt?: number, opts?: Opts): Field<number> {
  const f = int(dflt as number, { min: 0, max: 65535 }, opts);
  return { ...f, expects: 'a port number 0-65535' };
}

/** `ip:port` */
export function ipPort(dflt: string, opts?: Opts): Field<string>;
export function ipPort(dflt?: undefined, opts?: Opts): Field<string | undefined>;
export function ipPort(dflt?: string, opts?: Opts): Field<string> {
  return field(
    'ip:port',
    (v, p) => {
      const s = asText(v, p, 'ip:port');
      const m = /^(\[[0-9a-f:.]+\]|[^:\s]+):(\d{1,5})$/i.exec(s);
      if (!m || Number(m[2]) > 65535) throw typeError(p, 'ip:port', v);
      return s;
    },
    dflt,
    opts,
  );
}

/** A list from YAML, or from a command as `a, b` or `(a, b)` / `[a, b]`. */
export function list<T>(of: Field<T | undefined>, dflt: T[], opts?: Opts): Field<T[]>;
export function list<T>(of: Field<T | undefined>, dflt?: undefined, opts?: Opts): Field<T[] | undefined>;
export function list<T>(of: Field<T | undefined>, dflt?: T[], opts?: Opts): Field<T[]> {
  return field(
    `a list of ${of.expects}`,
    (v, p) => {
      let items: unknown[];
      if (Array.isArray(v)) items = v;
      else if (typeof v === 'string') {
        const s = v.trim().replace(/^[[(]|[\])]$/g, '');
        items = s === '' ? [] : s.split(',').map((x) => x.trim());
      } else throw typeError(p, `a list of ${of.expects}`, v);
      return items.map((x, i) => of.parse(x, `${p}[${i}]`) as T);
    },
    dflt,
    opts,
  );
}

/** The key may appear several times; the values are collected in order. */
export function repeated<T>(of: Field<T>, opts?: Opts): Field<NonNullable<T>[] | undefined> {
  return {
    ...field<NonNullable<T>[] | undefined>(
      `one or more of ${of.expects}`,
      (v, p) =>
        (Array.isArray(v) ? v : [v]).map((x, i) => of.parse(x, Array.isArray(v) ? `${p}[${i}]` : p) as NonNullable<T>),
      undefined,
      opts,
    ),
    repeat: true,
  };
}

export type Shape = Record<string, Field<unknown>>;

type FieldType<F> = F extends { parse(v: unknown, path: string): infer T } ? T : never;
type Req<S extends Shape> = { [K in keyof S as undefined extends FieldType<S[K]> ? never : K]: FieldType<S[K]> };
type Opt<S extends Shape> = {
  [K in keyof S as undefined extends FieldType<S[K]> ? K : never]?: Exclude<FieldType<S[K]>, undefined>;
};
/** The config type of a shape: fields with a default (or `required`) are present, others optional. */
export type Infer<S extends Shape> = Req<S> & Opt<S>;

export interface Schema<T> {
  readonly name: string;
  readonly shape: Shape;
  /** Alternative spellings EdgeLake accepts (`workers` for `threads`). */
  readonly aliases: Record<string, string>;
  /** Validates and coerces; collects every error before throwing one ConfigError. */
  parse(raw: unknown, path?: string): T;
  /** Keys whose values must never be shown. */
  secretKeys(): string[];
}

export interface SchemaOptions<T> {
  aliases?: Record<string, string>;
  /** Cross-field checks after the fields parsed. Throw ConfigError naming the key. */
  refine?: (value: T, path: string) => void;
  /** Extra keys matched by pattern (`column.<name>.<type>`), kept raw under `extra`. */
  patterns?: RegExp[];
}

/** Marks required fields: `required(str())` has no default and must be present. */
export function required<T>(f: Field<T | undefined>): Field<T> {
  return { ...f, optional: false, defaultValue: undefined } as Field<T>;
}

export function schema<S extends Shape>(
  name: string,
  shape: S,
  opts: SchemaOptions<Infer<S>> = {},
): Schema<Infer<S> & { extra?: Record<string, unknown> }> {
  const aliases = opts.aliases ?? {};
  const requiredKeys = new Set(
    Object.entries(shape)
      .filter(([, f]) => !f.optional && f.defaultValue === undefined)
      .map(([k]) => k),
  );
  return {
    name,
    shape,
    aliases,
    secretKeys: () =>
      Object.entries(shape)
        .filter(([, f]) => f.secret)
        .map(([k]) => k),
    parse(raw, path = name) {
      if (raw === null || raw === undefined) raw = {};
      if (typeof raw !== 'object' || Array.isArray(raw)) throw typeError(path, 'a mapping of options', raw);
      const errors: string[] = [];
      const out: Record<string, unknown> = {};
      const extra: Record<string, unknown> = {};
      const seen = new Set<string>();
      for (const [rawKey, value] of Object.entries(raw as Record<string, unknown>)) {
        const key = aliases[rawKey] ?? rawKey;
        const f = shape[key];
        if (!f) {
          if (opts.patterns?.some((re) => re.test(rawKey))) {
            extra[rawKey] = value;
            continue;
          }
          // This schema's own output parsed again (e.g. a config handed to a worker): its pattern keys
          // come back grouped under `extra`.
          if (
            rawKey === 'extra' &&
            opts.patterns &&
            typeof value === 'object' &&
            value !== null &&
            !Array.isArray(value)
          ) {
            for (const [k, v] of Object.entries(value)) {
              if (opts.patterns.some((re) => re.test(k))) extra[k] = v;
              else errors.push(`${path}.extra.${k}: unknown option`);
            }
            continue;
          }
          errors.push(`${path}.${rawKey}: unknown option (known: ${Object.keys(shape).sort().join(', ')})`);
          continue;
        }
        if (seen.has(key)) {
          errors.push(`${path}.${rawKey}: given twice`);
          continue;
        }
        seen.add(key);
        if (Array.isArray(value) && !f.repeat && !f.expects.startsWith('a list')) {
          errors.push(`${path}.${rawKey}: given ${value.length} times; expected once`);
          continue;
        }
        try {
          out[key] = f.parse(value, `${path}.${rawKey}`);
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }
      for (const [key, f] of Object.entries(shape)) {
        if (key in out) continue;
        if (f.defaultValue !== undefined) out[key] = f.defaultValue;
        else if (requiredKeys.has(key) && !f.optional) errors.push(`${path}.${key}: required (${f.expects})`);
      }
      if (Object.keys(extra).length > 0) out['extra'] = extra;
      if (errors.length > 0) throw new ConfigError(errors.join('\n'));
      const value = out as Infer<S>;
      opts.refine?.(value, path);
      return value as Infer<S> & { extra?: Record<string, unknown> };
    },
  };
}

/** A copy of a config with its secret keys masked, for `get` output and logs. */
export function maskSecrets(cfg: Record<string, unknown>, s: Schema<unknown>): Record<string, unknown> {
  const out = { ...cfg };
  for (const k of s.secretKeys()) if (out[k] !== undefined && out[k] !== '') out[k] = '******';
  return out;
}

/** A nested clause (`topic = (name = x and dbms = y)`) or a YAML mapping, validated by its own schema. */
export function nested<T>(s: Schema<T>, opts?: Opts): Field<T | undefined> {
  return field<T | undefined>(
    `(${s.name} options)`,
    (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(p, `(${s.name} options)`, v);
      return s.parse(v, p);
    },
    undefined,
    opts,
  );
}

/** A value kept as given: a nested clause (object) or text. For options whose inside a service reads itself. */
export function freeform(opts?: Opts): Field<string | Record<string, unknown> | undefined> {
  return field<string | Record<string, unknown> | undefined>(
    '(key = value ...) or text',
    (v, p) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
      throw typeError(p, '(key = value ...) or text', v);
    },
    undefined,
    opts,
  );
}

// Structured logging: one JSON object per line. Workers forward records to the main thread,
// which writes them to a single sink, so a node's log is one ordered stream.
// Values under secret-looking keys are redacted here, at the last point before any output,
// so a careless `log.info({config})` cannot leak a password.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  ts: string;
  level: LogLevel;
  /** Who logs: an actor id, `supervisor`, `node`, `control`... */
  src: string;
  msg: string;
  [key: string]: unknown;
}

export type LogSink = (rec: LogRecord) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(src: string): Logger;
}

import { maskSecrets } from './mask.js';

const SECRET_KEY = /pass(word)?|secret|token|private_key|api_key|credential/i;
export const REDACTED = '******';

/** Deep copy with secret-looking keys replaced. Bounded depth: logs are not the place for huge objects. */
export function redact(value: unknown, depth = 0): unknown {
  // A string may hold a command or a URL with a password in it (`error: ... connect dbms ... password = x`).
  if (typeof value === 'string') return maskSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: maskSecrets(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(src: string, sink: LogSink, minLevel: LogLevel = 'info'): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < order[minLevel]) return;
    const rec: LogRecord = { ts: new Date().toISOString(), level, src, msg: maskSecrets(msg) };
    if (fields) Object.assign(rec, redact(fields) as Record<string, unknown>);
    sink(rec);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (s) => createLogger(s, sink, minLevel),
  };
}

/** A sink that writes JSON lines to a stream (stderr by default). */
export function streamSink(write: (line: string) => void = (l) => process.stderr.write(l)): LogSink {
  return (rec) => write(JSON.stringify(rec) + '\n');
}

/** Keeps the last `max` records in memory (for tests and `get error log`-style commands). */
export class MemorySink {
  readonly records: LogRecord[] = [];
  constructor(private readonly max = 1000) {}
  readonly sink: LogSink = (rec) => {
    this.records.push(rec);
    if (this.records.length > this.max) this.records.shift();
  };
}

export function levelFromEnv(): LogLevel {
  const v = process.env['EDGELAKE_RT_LOG'];
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

// Helpers for command handlers: option objects from `where` clauses, `format = json`, and turning a
// schema error into a command error that points at the offending key.
import { CommandError, ConfigError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { CommandSyntaxError } from '../../protocols/command/lexer.js';
import { keyPositions, optionsObject, type OptionPair } from '../../protocols/command/where.js';
import type { Invocation, NodeApi } from '../service.js';

/** A command written wrong (EdgeLake's 'Command structure' error). */
export const structure = (msg: string): CommandError => new CommandError(msg, { code: Status.CommandStructure });

export function whereObject(inv: Invocation, node: NodeApi): Record<string, unknown> {
  return inv.where ? optionsObject(inv.where, (w) => node.resolve(w)) : {};
}

/** Validates through `parse`; a ConfigError becomes a CommandSyntaxError at the first key it names. */
export function withKeyPositions<T>(pairs: OptionPair[] | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ConfigError) || !pairs) throw err;
    const positions = keyPositions(pairs);
    // Messages look like `<schema path>.<key>[.<sub>]: ...`; find the longest key we know.
    const first = err.message.split('\n')[0]!;
    const path = first.slice(0, first.indexOf(':'));
    let best: number | undefined;
    let bestLen = -1;
    for (const [key, pos] of positions) {
      if (
        (path.endsWith(`.${key}`) || path.includes(`.${key}.`) || path.includes(`.${key}[`)) &&
        key.length > bestLen
      ) {
        best = pos;
        bestLen = key.length;
      }
    }
    if (best === undefined) throw err;
    const e = new CommandSyntaxError(err.message, best);
    throw e;
  }
}

/** `where format = json` (EdgeLake accepts `table` too; anything else is error 2). */
export function formatOf(inv: Invocation, node: NodeApi, allowed: readonly string[] = ['table', 'json']): string {
  const opts = whereObject(inv, node);
  const f = opts['format'];
  if (f === undefined) return 'table';
  if (typeof f !== 'string' || !allowed.includes(f.toLowerCase())) {
    throw new ConfigError(`format: expected ${allowed.join('|')} (got ${JSON.stringify(f)})`);
  }
  return f.toLowerCase();
}

/** Resolved text of the argument tokens (words after the command words, before `where`). */
export function argWords(inv: Invocation, node: NodeApi): string[] {
  return inv.args.map((t) => (t.kind === 'word' ? node.resolve(t.text) : t.text));
}

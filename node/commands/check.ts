// Static checks of commands and scripts: `edgelake-rt check script.al` reports every error with its
// line (and column where the parser knows it) without running anything. Values that are `!var` or
// `$ENV` references are not known before run time, so only their keys are checked.
import { CommandError, ConfigError, errorMessage } from '../../base/errors.js';
import { parseCondition } from '../../protocols/command/condition.js';
import { splitIf } from '../../protocols/command/interpreter.js';
import { CommandSyntaxError, tokenize } from '../../protocols/command/lexer.js';
import { labelIndex, locate, splitScript, type ScriptLine } from '../../protocols/command/script.js';
import { parseWhere, type OptionPair } from '../../protocols/command/where.js';
import type { ServiceDescriptor } from '../service.js';
import { Dispatcher } from './dispatcher.js';
import { commandTable } from './builtin/index.js';

const CONTROL = new Set([
  'goto',
  'call',
  'return',
  'process',
  'thread',
  'wait',
  'on',
  'do',
  'else',
  'if',
  'end',
  'exit',
]);

const isRef = (s: string): boolean => /^[!$]/.test(s.trim());

/** Options for schema validation, leaving out values known only at run time. */
function literalOptions(pairs: OptionPair[]): { obj: Record<string, unknown>; refKeys: Set<string> } {
  const obj: Record<string, unknown> = {};
  const refKeys = new Set<string>();
  for (const p of pairs) {
    if (p.value.kind === 'group') {
      const inner = literalOptions(p.value.pairs);
      const prev = obj[p.key];
      obj[p.key] = prev === undefined ? inner.obj : Array.isArray(prev) ? [...prev, inner.obj] : [prev, inner.obj];
      continue;
    }
    const toks = p.value.tokens;
    if (toks.some((t) => t.kind === 'word' && isRef(t.text))) {
      refKeys.add(p.key);
      continue;
    }
    const text = toks.map((t) => (t.kind === 'group' ? `(${t.text})` : t.text)).join(' ');
    const prev = obj[p.key];
    obj[p.key] = prev === undefined ? text : Array.isArray(prev) ? [...prev, text] : [prev, text];
  }
  return { obj, refKeys };
}

export class CommandChecker {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly services: readonly ServiceDescriptor[]) {
    this.dispatcher = new Dispatcher(commandTable(services));
  }

  /** Problems of one command (offsets into `text`). Empty when it looks runnable. */
  check(text: string, labels?: Map<string, number>): { message: string; pos: number }[] {
    try {
      return this.checkOrThrow(text, labels);
    } catch (err) {
      if (err instanceof CommandSyntaxError) return [{ message: err.message, pos: err.pos }];
      return [{ message: errorMessage(err), pos: 0 }];
    }
  }

  private checkOrThrow(text: string, labels: Map<string, number> | undefined): { message: string; pos: number }[] {
    const tokens = tokenize(text);
    if (tokens.length === 0) return [];
    const first = tokens[0]!;
    const w = first.kind === 'word' ? first.text.toLowerCase() : '';
    const rest = (n: number): string => text.slice(tokens[n]?.pos ?? text.length);
    if (tokens[1]?.kind === 'op' && tokens[1].text === '=') {
      const rhs = text.slice(tokens[1].pos + 1).trim();
      return this.dispatcher.isCommand(rhs)
        ? this.check(rhs, labels).map((p) => ({
            ...p,
            pos:
              p.pos +
              tokens[1]!.pos +
              1 +
              (text.slice(tokens[1]!.pos + 1).length - text.slice(tokens[1]!.pos + 1).trimStart().length),
          }))
        : [];
    }
    if (CONTROL.has(w)) {
      if ((w === 'goto' || w === 'call') && labels && !labels.has(rest(1).trim()))
        return [{ message: `no label ':${rest(1).trim()}:' in the script`, pos: tokens[1]?.pos ?? 0 }];
      if (w === 'on') {
        const m = /^on\s+error\s+(ignore|end\s+script|(goto|call)\s+(\S+))$/i.exec(text.trim());
        if (!m) return [{ message: "expected 'on error ignore | goto <label> | call <label> | end script'", pos: 0 }];
        if (m[3] && labels && !labels.has(m[3]))
          return [{ message: `no label ':${m[3]}:' in the script`, pos: text.indexOf(m[3]) }];
        return [];
      }
      if (w === 'if') {
        const { cond, condPos, then } = splitIf(text);
        parseCondition(cond, condPos);
        if (then) {
          const off = text.lastIndexOf(then);
          return this.check(then, labels).map((p) => ({ ...p, pos: p.pos + off }));
        }
        return [];
      }
      if (w === 'do' || w === 'else')
        return this.check(rest(1), labels).map((p) => ({ ...p, pos: p.pos + (tokens[1]?.pos ?? 0) }));
      if (w === 'exit' && this.dispatcher.match(tokens)) return [];
      return [];
    }
    const spec = this.dispatcher.match(tokens);
    if (!spec) {
      if (w === 'set' && tokens[2]?.kind === 'op') return [];
      return [{ message: `unknown command "${text.split(/\s+/).slice(0, 3).join(' ')}"`, pos: first.pos }];
    }
    if (spec.words[0] !== 'run') return [];
    const desc = this.services.find((s) => s.run.some((r) => r.join(' ') === spec.words.slice(1).join(' ')));
    if (!desc) return [];
    const after = tokens.slice(spec.words.length);
    const whereAt = after.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'where');
    if (whereAt < 0) return [];
    const pairs = parseWhere(after.slice(whereAt + 1));
    // The dispatcher refuses this too ('where' with no options).
    if (pairs.length === 0) return [{ message: `'where' with no options`, pos: after[whereAt]!.pos }];
    return this.checkOptions(desc, pairs);
  }

  private checkOptions(desc: ServiceDescriptor, pairs: OptionPair[]): { message: string; pos: number }[] {
    const { obj, refKeys } = literalOptions(pairs);
    try {
      desc.schema.parse(obj, `run ${desc.run[0]!.join(' ')}`);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError || err instanceof CommandError)) throw err;
      const out: { message: string; pos: number }[] = [];
      for (const line of err.message.split('\n')) {
        const key = /\.([\w\-.]+?)(?:\[\d+\])?:/.exec(line)?.[1] ?? '';
        const top = key.split('.')[0]!;
        // A key whose value is `!var`/`$ENV` is decided at run time: whatever its schema (or a
        // cross-field check) says about it now, missing or not, is not an error yet.
        if (refKeys.has(top)) continue;
        const pair = pairs.find((p) => p.key === key || p.key === top);
        out.push({ message: line, pos: pair?.pos ?? 0 });
      }
      return out;
    }
  }

  /** Every problem of a script, as `<file> line L[, column C]: message`. */
  checkScript(source: string, file: string): string[] {
    let lines: ScriptLine[];
    let labels: Map<string, number>;
    try {
      lines = splitScript(source);
      labels = labelIndex(lines, file);
    } catch (err) {
      return [`${file}: ${errorMessage(err)}`];
    }
    const out: string[] = [];
    for (const sl of lines) {
      if (sl.label !== undefined) continue;
      for (const p of this.check(sl.text, labels)) {
        const at = locate(sl, p.pos, file);
        out.push(`${file} line ${at.line}, column ${at.col}: ${p.message}`);
      }
    }
    return out;
  }
}

// Runs commands and scripts with EdgeLake's control flow (cmd/member_cmd.py L13522-13806, L14969-15045):
//   goto <label> | call <label> | return | end script | exit scripts
//   on error ignore | goto <label> | call <label> | end script      (stays set for the rest of the script)
//   if <cond> then <cmd> | if <cond> then (then `do <cmd>` / `else <cmd>` / `else if ...` lines) | if <cond>
//   A `do`, `else` or `then` body may be any statement, control words included (`do goto x`, `else if c then
//   call y`, `do on error ignore`). One if-result per script, as EdgeLake's status object keeps one
//   (member_cmd.py `_process_if`, `_process_do_else`): a nested `do if ...` sets it for the lines after it.
//   `on error goto|call <label>` names a label that must exist only when an error jumps to it.
//   wait <seconds> [for <cond>] | process <file> | thread <file>
// A failing command with no handler ends the script ("Script terminated on line N"). Errors 1, 2
// (command structure) and 112 (missing script) end the script even under `on error goto|call`;
// only `on error ignore` goes past them. Everything else is handed to the command runner.
import { CommandError, errorMessage } from '../../base/errors.js';
import { maskSecrets } from '../../base/mask.js';
import { evaluate, parseCondition } from './condition.js';
import { CommandSyntaxError, tokenize } from './lexer.js';
import { labelIndex, locate, splitScript, type ScriptLine } from './script.js';
import { Status } from '../../base/status.js';

export interface RunEnv {
  /** Where the command came from, for method gating and logs. */
  source: string;
  /**
   * The REST verb that sent it (EdgeLake refuses state-changing commands sent by GET). The interpreter refuses
   * `process` and `thread` under GET wherever they stand (`if ... then do process f`), the command runner the rest.
   */
  method?: 'GET' | 'POST';
  file?: string;
  line?: number;
  signal?: AbortSignal;
}

export interface InterpreterHost {
  /** Runs one ordinary command and returns its reply. Throws CommandError (with EdgeLake's code). */
  run(text: string, env: RunEnv): Promise<string>;
  resolve(word: string): string;
  readFile(path: string): Promise<string>;
  /** Where `print`-like output of a script goes as it runs (the node's console). */
  output(text: string): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Starts a script in the background (`thread <file>`). */
  spawnScript?(path: string): void;
}

export type ScriptEnd = 'completed' | 'ended' | 'exit-scripts';

export interface ScriptOutcome {
  end: ScriptEnd;
  /** Replies of the commands, in order (non-empty ones). */
  output: string[];
}

/** EdgeLake error 156: the REST verb does not fit the command. */
export class WrongMethodError extends CommandError {
  constructor() {
    super('Wrong HTTP method used', { code: Status.WrongHttpMethod });
  }
}

/** Error codes that end a script even under `on error goto|call` (EdgeLake). */
const STRUCTURAL = new Set([1, 2, 112]);

type OnError = { k: 'none' } | { k: 'ignore' } | { k: 'end' } | { k: 'goto' | 'call'; label: string };

const firstWord = (s: string): string => s.trimStart().split(/\s+/, 1)[0]!.toLowerCase();
const restAfter = (s: string, n: number): string => s.trimStart().split(/\s+/).slice(n).join(' ');

/** Splits `if <cond> then <cmd>` at the top-level word `then`. */
export function splitIf(text: string): { cond: string; condPos: number; then: string | undefined } {
  const body = text.replace(/^\s*if\s+/i, '');
  const condPos = text.length - body.length;
  const toks = tokenize(body, { comparisons: true });
  const thenTok = toks.find((t) => t.kind === 'word' && t.text.toLowerCase() === 'then');
  if (!thenTok) return { cond: body, condPos, then: undefined };
  return { cond: body.slice(0, thenTok.pos), condPos, then: body.slice(thenTok.pos + 4).trim() };
}

/**
 * splitIf, and for an `if` without `then` whose condition runs into `goto|call <label>` (`if !x goto y`): the
 * condition before that word, and the words EdgeLake's `analyze_if` takes into the condition and never runs.
 */
export function splitIfLenient(text: string): ReturnType<typeof splitIf> & { ignored?: string } {
  const r = splitIf(text);
  if (r.then !== undefined) return r;
  const toks = tokenize(r.cond, { comparisons: true });
  const at = toks.findIndex((t, i) => i > 0 && t.kind === 'word' && /^(goto|call)$/i.test(t.text));
  if (at < 0) return r;
  return { ...r, cond: r.cond.slice(0, toks[at]!.pos).trimEnd(), ignored: r.cond.slice(toks[at]!.pos).trim() };
}

export class ScriptError extends CommandError {
  /**
   * `<file> line <n>` of a script that ended on a failing line. A reply to a remote caller says only this (and the
   * code): the message quotes the line, which is the file's content (`process /etc/passwd`).
   */
  location?: string;
}

/** Script lines run between two yields to the event loop. */
const YIELD_EVERY = 256;
/** `call`s without `return` a script may nest. */
const MAX_CALL_DEPTH = 1000;

/** Per-script state: the result of the last `if` evaluated, for `do` / `else` lines. */
interface Frame {
  lastIf: boolean | undefined;
}

/** What a statement asks of the script running it. */
type Flow =
  | { k: 'goto' | 'call'; label: string }
  | { k: 'return' }
  | { k: 'end' }
  | { k: 'exit' }
  | { k: 'on-error'; v: OnError };

export class Interpreter {
  constructor(private readonly host: InterpreterHost) {}

  /** Runs one command line (CLI, REST, TCP, scheduler): control words other than `if` need a script. */
  async command(text: string, env: RunEnv, frame: Frame = { lastIf: undefined }): Promise<string> {
    const w = firstWord(text);
    if (['goto', 'call', 'return', 'on'].includes(w))
      throw new CommandError(`'${w}' is only valid inside a script`, { code: Status.CommandStructure });
    const output: string[] = [];
    // Outside a script, `end script` / `exit scripts` (alone or as a body) have nothing to end.
    const flow = await this.exec(text, env, frame, output, false);
    if (flow && flow.k !== 'end' && flow.k !== 'exit')
      throw new CommandError(`'${flow.k}' is only valid inside a script`, { code: Status.CommandStructure });
    return output.join('\n');
  }

  async processFile(path: string, env: RunEnv): Promise<ScriptOutcome> {
    const file = this.host.resolve(path.trim());
    if (file === '')
      throw new CommandError(`Script not available: '${path.trim()}' does not resolve to a file name`, {
        code: Status.MissingScript,
      });
    let source: string;
    try {
      source = await this.host.readFile(file);
    } catch (err) {
      throw new CommandError(`Script not available: ${file} (${errorMessage(err)})`, {
        code: Status.MissingScript,
        cause: err,
      });
    }
    return this.runScript(source, file, env);
  }

  /**
   * One statement: control words become a Flow for the script loop; replies go to `output`. `inScript` says
   * whether replies are also printed as they come (a script's console output).
   */
  private async exec(
    text: string,
    env: RunEnv,
    frame: Frame,
    output: string[],
    inScript: boolean,
  ): Promise<Flow | undefined> {
    const w = firstWord(text);
    const t = text.trim();
    if (w === 'goto' || w === 'call') return { k: w, label: restAfter(text, 1) };
    if (w === 'return' && t.toLowerCase() === 'return') return { k: 'return' };
    if (/^end\s+script$/i.test(t)) return { k: 'end' };
    if (/^exit\s+scripts?$/i.test(t)) return { k: 'exit' };
    if (w === 'on' && /^on\s+error\s+/i.test(t)) return { k: 'on-error', v: this.parseOnError(t, env) };
    if (w === 'do' || w === 'else') {
      const want = w === 'do';
      if (frame.lastIf !== want) return undefined;
      const body = restAfter(text, 1);
      if (body === '') throw new CommandError(`'${w}' without a command`, { code: Status.CommandStructure });
      const before = frame.lastIf;
      const flow = await this.exec(body, env, frame, output, inScript);
      // EdgeLake keeps the if-result across a `do process` (the called script's ifs are its own).
      if (firstWord(body) === 'process') frame.lastIf = before;
      return flow;
    }
    if (w === 'if') {
      // `if <cond> goto x` without `then`: EdgeLake evaluates the condition and jumps nowhere.
      const { cond, condPos, then } = splitIfLenient(text);
      const result = evaluate(parseCondition(cond, condPos), (x) => this.host.resolve(x));
      frame.lastIf = result;
      if (then === undefined) {
        this.emit(result ? 'True' : 'False', output, inScript);
        return undefined;
      }
      if (then === '' || !result) return undefined;
      const flow = await this.exec(then, env, frame, output, inScript);
      // The if-result is the condition's, whatever the body did (`_process_if` sets it after the body).
      frame.lastIf = result;
      return flow;
    }
    // Scripts change state (and `process` reads a file): never by GET, however the command reached here.
    if ((w === 'process' || w === 'thread') && env.method === 'GET') throw new WrongMethodError();
    if (w === 'process') {
      const inner = await this.processFile(restAfter(text, 1), env);
      output.push(...inner.output);
      return inner.end === 'exit-scripts' ? { k: 'exit' } : undefined;
    }
    if (w === 'thread') {
      if (!this.host.spawnScript)
        throw new CommandError('thread: background scripts are not available here', { code: Status.CommandStructure });
      this.host.spawnScript(this.host.resolve(restAfter(text, 1)));
      return undefined;
    }
    if (w === 'wait') {
      await this.wait(text, env);
      return undefined;
    }
    this.emit(await this.host.run(text, env), output, inScript);
    return undefined;
  }

  private emit(reply: string, output: string[], inScript: boolean): void {
    if (reply === '') return;
    output.push(reply);
    if (inScript) this.host.output(reply);
  }

  async runScript(source: string, file: string, env: RunEnv): Promise<ScriptOutcome> {
    const lines = splitScript(source);
    const labels = labelIndex(lines, file);
    const output: string[] = [];
    const stack: number[] = [];
    let onError: OnError = { k: 'none' };
    const frame: Frame = { lastIf: undefined };
    let pc = 0;
    const jump = (label: string, sl: ScriptLine): number => {
      const to = labels.get(label);
      if (to === undefined)
        throw new ScriptError(`Script terminated on ${file} line ${sl.line}: no label ':${label}:' in the script`, {
          code: Status.CommandStructure,
        });
      return to;
    };
    // `call` without `return` (`:a:` `call a`) would grow the stack until the heap runs out.
    const push = (sl: ScriptLine): void => {
      if (stack.length >= MAX_CALL_DEPTH)
        throw new ScriptError(`${file} line ${sl.line}: calls nested deeper than ${MAX_CALL_DEPTH}`, {
          code: Status.CommandStructure,
        });
      stack.push(pc);
    };
    let steps = 0;
    while (pc < lines.length) {
      // A script may loop for ever (`:a:` ... `goto a`), as in EdgeLake; it must not hold the thread while it does:
      // every few lines it yields a turn of the event loop (timers, sockets, an abort), found by fuzzing.
      if (++steps % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
      if (env.signal?.aborted) return { end: 'exit-scripts', output };
      const sl = lines[pc]!;
      pc++;
      if (sl.label !== undefined) continue;
      const text = sl.text;
      const lineEnv: RunEnv = { ...env, file, line: sl.line };
      let flow: Flow | undefined;
      try {
        flow = await this.exec(text, lineEnv, frame, output, true);
      } catch (err) {
        const e =
          err instanceof CommandError
            ? err
            : new CommandError(errorMessage(err), { cause: err, code: Status.UnrecognizedCommand });
        const at = e instanceof CommandSyntaxError ? locate(sl, e.pos, file) : { file, line: sl.line, col: 1 };
        const where = `${file} line ${at.line}${e instanceof CommandSyntaxError ? `, column ${at.col}` : ''}`;
        if (onError.k === 'ignore') continue;
        if (onError.k === 'end') return { end: 'ended', output };
        if ((onError.k === 'goto' || onError.k === 'call') && !STRUCTURAL.has(e.code ?? 0)) {
          if (onError.k === 'call') push(sl);
          pc = jump(onError.label, sl);
          continue;
        }
        const failed = new ScriptError(
          `Script terminated on ${where}: ${e.message} (command: ${maskSecrets(text.slice(0, 200))})`,
          {
            code: e.code ?? 56,
            cause: e,
          },
        );
        failed.location = where;
        throw failed;
      }
      if (!flow) continue;
      switch (flow.k) {
        case 'on-error':
          onError = flow.v;
          break;
        case 'goto':
          pc = jump(flow.label, sl);
          break;
        case 'call':
          push(sl);
          pc = jump(flow.label, sl);
          break;
        case 'return':
          if (stack.length === 0) return { end: 'completed', output };
          pc = stack.pop()!;
          break;
        case 'end':
          return { end: 'ended', output };
        case 'exit':
          return { end: 'exit-scripts', output };
      }
    }
    return { end: 'completed', output };
  }

  /** `on error ...`; a `goto`/`call` label is looked up only when an error jumps (EdgeLake `exec_script`). */
  private parseOnError(text: string, env: RunEnv): OnError {
    const rest = text.replace(/^on\s+error\s+/i, '').trim();
    if (/^ignore$/i.test(rest)) return { k: 'ignore' };
    if (/^end\s+script$/i.test(rest)) return { k: 'end' };
    const m = /^(goto|call)\s+(\S+)$/i.exec(rest);
    if (m) return { k: m[1]!.toLowerCase() as 'goto' | 'call', label: m[2]! };
    throw new ScriptError(
      `${env.file ?? 'script'} line ${env.line ?? 0}: expected 'on error ignore | goto <label> | call <label> | end script'`,
      { code: Status.CommandStructure },
    );
  }

  private async wait(text: string, env: RunEnv): Promise<void> {
    // wait <seconds> [for <condition>]
    const m = /^wait\s+(\S+)(?:\s+for\s+(.+))?$/i.exec(text.trim());
    const secs = m ? Number(this.host.resolve(m[1]!)) : NaN;
    if (!m || !Number.isFinite(secs) || secs < 0)
      throw new CommandError(`wait: expected 'wait <seconds> [for <condition>]'`, { code: Status.CommandStructure });
    if (!m[2]) {
      await this.host.sleep(secs * 1000, env.signal);
      return;
    }
    const cond = parseCondition(m[2]);
    const deadline = Date.now() + secs * 1000;
    while (Date.now() < deadline && !evaluate(cond, (w) => this.host.resolve(w))) {
      await this.host.sleep(Math.min(100, deadline - Date.now()), env.signal);
    }
  }
}

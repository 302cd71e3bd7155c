// Fuzz targets (issue 12): each takes inputs from a fast-check arbitrary and runs the code under test on them. The
// property, checked by check.ts: nothing throws but a typed EdgeRtError, and no input takes longer than the
// per-input limit. Inputs mix free text and bytes with grammar-shaped ones (fragments of the language), so both the
// tokenizer edges and the deeper parsers are reached. The REST target with real requests needs a node and lives in
// rest.test.ts; its pure parts (headers, bodies) are in rest-targets.ts.
import fc from 'fast-check';
import { tokenize } from '../../protocols/command/lexer.js';
import { parseWhere, optionsObject } from '../../protocols/command/where.js';
import { parseCondition, evaluate } from '../../protocols/command/condition.js';
import { splitScript, labelIndex } from '../../protocols/command/script.js';
import { parseVarRef, applyCast, type Cast } from '../../protocols/command/dictionary.js';
import { Interpreter, splitIf } from '../../protocols/command/interpreter.js';
import { decodeBlock } from '../../protocols/tcp/decoder.js';
import { MessageReader } from '../../protocols/tcp/assembler.js';
import { BLOCK_SIZE } from '../../protocols/tcp/header.js';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { compilePolicy, compileTopic, toMessages } from '../../protocols/mapping/index.js';
import { formatFileName, parseFileName, tsdFileName } from '../../protocols/files/names.js';
import { CommandError, EdgeRtError } from '../../base/errors.js';
import { restBody, restHeaders } from './rest-targets.js';

export interface FuzzTarget<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  run(input: T): void | Promise<void>;
}

// ---- command language ---------------------------------------------------------------------------------------------

const CMD_FRAGMENTS = [
  'run',
  'get',
  'set',
  'sql',
  'if',
  'then',
  'else',
  'do',
  'goto',
  'call',
  'return',
  'on error',
  'end script',
  'exit scripts',
  'where',
  'and',
  'or',
  'not',
  '=',
  '==',
  '!=',
  '>',
  '<=',
  '+',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '"',
  "'",
  '`',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '<',
  '>',
  ',',
  ':',
  ';',
  '#',
  '!',
  '$',
  '!x',
  '!x.int',
  '!x.len',
  '$HOME',
  'x',
  'dbms',
  'table = t',
  'format = json',
  '"select * from t"',
  '{"a": [1, {"b": "c"}]}',
  '(a b)',
  ':lbl:',
  'lbl',
  '\\',
  '\u0000',
  '\ud800',
  'é',
  '🚀',
  '1',
  '-2.5e3',
];

/** Command-shaped text: fragments of the language joined, or free unicode. */
export const commandText = fc.oneof(
  fc.array(fc.constantFrom(...CMD_FRAGMENTS), { maxLength: 24 }).map((a) => a.join(' ')),
  fc.array(fc.constantFrom(...CMD_FRAGMENTS), { maxLength: 24 }).map((a) => a.join('')),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

const resolveWord = (w: string): string => (w.startsWith('!') ? w.slice(1).repeat(2) : w);

export const commandLexer: FuzzTarget<string> = {
  name: 'command-lexer',
  arb: commandText,
  run(text) {
    tokenize(text);
    tokenize(text, { comparisons: true });
  },
};

export const commandParser: FuzzTarget<string> = {
  name: 'command-parser',
  arb: commandText,
  run(text) {
    try {
      const toks = tokenize(text);
      const i = toks.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'where');
      if (i >= 0) optionsObject(parseWhere(toks.slice(i + 1)), resolveWord);
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    try {
      evaluate(parseCondition(text), resolveWord);
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    splitIf(text);
    const lines = splitScript(text);
    try {
      labelIndex(lines, 'fuzz.al');
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    const ref = parseVarRef(text);
    for (const cast of ['int', 'float', 'str', 'bool', 'len', 'name'] as Cast[]) {
      try {
        applyCast(text, cast);
      } catch (err) {
        if (!(err instanceof EdgeRtError)) throw err;
      }
    }
    void ref;
  },
};

/** Scripts of command-shaped lines (labels, goto, if/then/else, on error...). */
const scriptText = fc
  .array(
    fc.oneof(
      commandText,
      fc.constantFrom(':a:', ':b:', 'goto a', 'goto b', 'call b', 'return', 'on error goto a', 'on error ignore'),
      fc.constantFrom('if !x == 1 then goto a', 'if 1 then print a else print b', 'do print c', 'else goto b'),
      fc.constantFrom('end script', 'exit scripts', 'wait 0', 'x = 1', '<a\nb>', '# comment'),
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join('\n'));

/**
 * The interpreter over a host that runs nothing (the dispatcher is not under test here): every ordinary command
 * answers with its first token, a command whose first word is `fail` throws the typed error a dispatcher would.
 * A script that loops for ever is legal in EdgeLake's language: the host stops it through the abort signal after
 * 500 commands or 20 ms, which the interpreter must honour (it yields while it loops).
 */
export const commandInterpreter: FuzzTarget<string> = {
  name: 'command-interpreter',
  arb: scriptText,
  async run(script) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 20);
    let calls = 0;
    const it = new Interpreter({
      run: (text) => {
        if (++calls > 500) ctl.abort();
        const t = tokenize(text);
        if (t[0]?.text === 'fail') throw new CommandError('failed', { code: 2 });
        return Promise.resolve(t[0]?.text ?? '');
      },
      resolve: resolveWord,
      readFile: () => Promise.reject(new CommandError('no files here', { code: 12 })),
      output: () => undefined,
      sleep: () => Promise.resolve(),
    });
    try {
      await it.runScript(script, 'fuzz.al', { source: 'fuzz', signal: ctl.signal });
      for (const line of script.split('\n').slice(0, 3)) await it.command(line, { source: 'fuzz', signal: ctl.signal });
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    } finally {
      clearTimeout(timer);
    }
  },
};

// ---- TCP blocks ---------------------------------------------------------------------------------------------------

const SOURCE = { ip: '127.0.0.1', port: 32148 };

/** Valid messages, then mutated: bytes flipped or overwritten at random offsets (header fields are hit often). */
const tcpBytes = fc.oneof(
  fc.uint8Array({ minLength: BLOCK_SIZE, maxLength: BLOCK_SIZE }),
  fc
    .record({
      cmd: fc.oneof(commandText, fc.constant('print')),
      payload: fc.uint8Array({ maxLength: 5000 }),
      flips: fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
    })
    .map(({ cmd, payload, flips }) => {
      let blocks: Uint8Array[];
      try {
        blocks = commandMessage(cmd.length > 1500 ? 'print' : cmd, { source: SOURCE, payload });
      } catch {
        blocks = commandMessage('print', { source: SOURCE, payload });
      }
      const all = new Uint8Array(blocks.length * BLOCK_SIZE);
      blocks.forEach((b, i) => all.set(b, i * BLOCK_SIZE));
      for (const f of flips) all[f.at % all.length] = f.v;
      return all;
    }),
);

export const tcpDecoder: FuzzTarget<Uint8Array> = {
  name: 'tcp-decoder',
  arb: tcpBytes,
  run(bytes) {
    for (let i = 0; i + BLOCK_SIZE <= bytes.length; i += BLOCK_SIZE) {
      try {
        decodeBlock(bytes.subarray(i, i + BLOCK_SIZE), i / BLOCK_SIZE + 1);
      } catch (err) {
        if (!(err instanceof EdgeRtError)) throw err;
      }
    }
  },
};

/** The stream cut into chunks of any size, as a socket delivers it; a small message limit is hit too. */
export const tcpAssembler: FuzzTarget<{ bytes: Uint8Array; cuts: number[]; max: number }> = {
  name: 'tcp-assembler',
  arb: fc.record({
    bytes: fc.oneof(tcpBytes, fc.uint8Array({ maxLength: 3 * BLOCK_SIZE + 7 })),
    cuts: fc.array(fc.nat({ max: 3000 }), { maxLength: 6 }),
    max: fc.constantFrom(100, 4096, 16 << 20),
  }),
  run({ bytes, cuts, max }) {
    const r = new MessageReader({ maxMessageBytes: max });
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
      const end = Math.min(bytes.length, at + c);
      r.push(bytes.subarray(at, end));
      at = end;
    }
    r.end();
  },
};

// ---- mapping language and MQTT payloads --------------------------------------------------------------------------

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const mapValueText = fc.oneof(
  fc.constantFrom(
    'bring [a]',
    'bring [a][b]',
    'bring [rs][][v]',
    "bring [a] + '_' + [b]",
    'bring [a] [b]',
    'now',
    'bring [ts]',
    'epoch',
    'bring [a] -',
    'bring',
    '[',
    'bring [][]',
    'bring [a',
  ),
  commandText,
);
const colKey = fc.tuple(
  fc.constantFrom('a', 'b', 'v', 'ts', 'Temp C', 'x-y', ''),
  fc.constantFrom('int', 'float', 'str', 'bool', 'timestamp', 'char(3)', 'varchar', 'decimal', 'xyz', ''),
);

const topic = fc.record({
  dbms: fc.oneof(fc.constantFrom('d', 'bring [db]', 'D B', ''), commandText),
  table: fc.oneof(fc.constantFrom('t', 'bring [tb]', 'bring [a] + _x', '1t'), commandText),
  extra: fc.dictionary(
    colKey.map(([n, t]) => (t ? `column.${n}.${t}` : `column.${n}`)),
    fc.oneof(
      mapValueText,
      fc.record({ type: fc.constantFrom('int', 'str', 'timestamp', 'q'), value: mapValueText, optional: fc.string() }),
      jsonValue,
    ),
    { maxKeys: 5 },
  ),
});

const payload = fc.oneof(
  jsonValue,
  fc.dictionary(fc.constantFrom('a', 'b', 'v', 'ts', 'rs', 'db', 'tb'), jsonValue, { maxKeys: 7 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.uint8Array({ maxLength: 120 }),
  jsonValue.map((v) => JSON.stringify(v)),
);

/** A mapper never throws on any payload (result.ts); compiling a topic or policy throws typed errors only. */
type Topic = typeof topic extends fc.Arbitrary<infer U> ? U : never;
export const mapping: FuzzTarget<{ topic: Topic; policy: unknown; payloads: unknown[] }> = {
  name: 'mapping',
  arb: fc.record({
    topic,
    policy: fc.oneof(
      jsonValue,
      topic.map((t) => ({ mapping: { ...t, schema: t.extra } })),
    ),
    payloads: fc.array(payload, { maxLength: 4 }),
  }),
  run({ topic: t, policy, payloads }) {
    const mappers = [];
    try {
      mappers.push(compileTopic({ name: 'fz', dbms: t.dbms, table: t.table, extra: t.extra }));
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    try {
      mappers.push(compilePolicy(policy));
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    for (const m of mappers) for (const p of payloads) m(p, new Date(0));
  },
};

export const mqttPayload: FuzzTarget<unknown> = {
  name: 'mqtt-payload',
  arb: payload,
  run(p) {
    // Never throws: a bad payload is a failure value.
    toMessages(p);
  },
};

// ---- watch-dir file names ----------------------------------------------------------------------------------------

const NAME_FRAGMENTS = ['test', 'db', 't', '0', '57', '@', '-3', ' 57', 'x', '', '..', '/', '\\', 'é', '🚀', '\ud800'];
const fileName = fc.oneof(
  fc
    .tuple(
      fc.array(fc.oneof(fc.constantFrom(...NAME_FRAGMENTS), fc.string({ maxLength: 6 })), { maxLength: 10 }),
      fc.constantFrom('json', 'sql', 'gz', 'json.gz', 'sql.gz', 'txt', ''),
    )
    .map(([segs, type]) => `${segs.join('.')}.${type}`),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

/** parseFileName throws only its typed 119; a parsed name formats back to a name that parses to the same parts. */
export const fileNames: FuzzTarget<string> = {
  name: 'file-names',
  arb: fileName,
  run(name) {
    let p;
    try {
      p = parseFileName(name);
    } catch (err) {
      if (err instanceof EdgeRtError) return;
      throw err;
    }
    if (p.type !== 'json') return;
    const again = parseFileName(formatFileName(p));
    if (again.type !== 'json' || again.dbms !== p.dbms || again.table !== p.table || again.hash !== p.hash)
      throw new Error(`round trip changed ${JSON.stringify(name)}`);
    parseFileName(tsdFileName(p, 7, '12', new Date(0)));
  },
};

export const TARGETS = {
  'command-lexer': commandLexer,
  'command-parser': commandParser,
  'command-interpreter': commandInterpreter,
  'tcp-decoder': tcpDecoder,
  'tcp-assembler': tcpAssembler,
  mapping,
  'mqtt-payload': mqttPayload,
  'file-names': fileNames,
  'rest-headers': restHeaders,
  'rest-body': restBody,
} as Record<string, FuzzTarget<unknown>>;

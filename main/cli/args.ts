// Command-line arguments of edgelake-rt, and where a verb finds the node's control socket.
import { resolve } from 'node:path';
import { socketPath } from '../../node/layout.js';
import { isLogLevel, type LogLevel } from '../../base/log.js';

export interface CliArgs {
  verb: string;
  positional: string[];
  root: string | undefined;
  socket: string | undefined;
  /** `--log-level`: wins over node.yaml's `node.log_level` and $EDGELAKE_RT_LOG. */
  logLevel: LogLevel | undefined;
  /** `--log-format`: JSON lines (default, for collectors) or `pretty` lines for a terminal. */
  logFormat: 'json' | 'pretty';
}

const FLAGS = ['--root', '--socket', '--log-level', '--log-format'] as const;

function setFlag(out: CliArgs, flag: (typeof FLAGS)[number], v: string): void {
  switch (flag) {
    case '--root':
      out.root = v;
      return;
    case '--socket':
      out.socket = v;
      return;
    case '--log-level':
      if (!isLogLevel(v)) throw new Error(`--log-level must be debug, info, warn or error (got '${v}')`);
      out.logLevel = v;
      return;
    case '--log-format':
      if (v !== 'json' && v !== 'pretty') throw new Error(`--log-format must be json or pretty (got '${v}')`);
      out.logFormat = v;
      return;
  }
}

export function parseArgs(argv: string[]): CliArgs {
  const out: CliArgs = {
    verb: argv[0] ?? 'help',
    positional: [],
    root: undefined,
    socket: undefined,
    logLevel: undefined,
    logFormat: 'json',
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const flag = FLAGS.find((f) => f === name);
    if (!flag) {
      out.positional.push(a);
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    setFlag(out, flag, v);
  }
  return out;
}

/** --socket wins, then --root, then $EDGELAKE_RT_ROOT, then ./edgelake-data. */
export function controlSocket(args: CliArgs): string {
  if (args.socket) return args.socket;
  return socketPath(resolve(args.root ?? process.env['EDGELAKE_RT_ROOT'] ?? 'edgelake-data'));
}

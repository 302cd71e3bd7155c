// Command-line arguments of edgelake-rt, and where a verb finds the node's control socket.
import { resolve } from 'node:path';
import { socketPath } from '../../node/layout.js';

export interface CliArgs {
  verb: string;
  positional: string[];
  root: string | undefined;
  socket: string | undefined;
}

export function parseArgs(argv: string[]): CliArgs {
  const out: CliArgs = { verb: argv[0] ?? 'help', positional: [], root: undefined, socket: undefined };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--root' || a === '--socket') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--root') out.root = v;
      else out.socket = v;
    } else if (a.startsWith('--root=')) out.root = a.slice(7);
    else if (a.startsWith('--socket=')) out.socket = a.slice(9);
    else out.positional.push(a);
  }
  return out;
}

/** --socket wins, then --root, then $EDGELAKE_RT_ROOT, then ./edgelake-data. */
export function controlSocket(args: CliArgs): string {
  if (args.socket) return args.socket;
  return socketPath(resolve(args.root ?? process.env['EDGELAKE_RT_ROOT'] ?? 'edgelake-data'));
}

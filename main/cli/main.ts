#!/usr/bin/env node
// edgelake-rt: start a node, check a configuration, talk to a running node.
//   start [node.yaml|script.al] [--root DIR]     run a node in the foreground
//   check node.yaml|script.al                    validate without starting
//   cmd [--root DIR | --socket PATH] "<command>" run an EdgeLake command on a running node
//   send [--root|--socket] <actor> '<json>'      send a raw actor message, print the reply
//   kill [--root|--socket] <actor>               terminate an actor's worker abruptly (as a crash)
//   stop [--root|--socket]                       stop the node gracefully
//   console [--root|--socket]                    interactive prompt, like EdgeLake's
// Each verb's module is loaded when that verb runs: `cmd`, `send`, `kill` and `stop` then load only
// the control-socket client, not every service and storage driver (about 1 s less per `cmd`).
import { errorMessage } from '../../base/errors.js';
import { parseArgs } from './args.js';
import { exitWhenOutputCloses } from './closed-output.js';
import { holdYoungGeneration } from './young-gen.js';

const USAGE = `usage: edgelake-rt <verb> [options]
  start [node.yaml|script.al] [--root DIR]      run a node in the foreground
        [--log-level debug|info|warn|error] [--log-format json|pretty]
  check <node.yaml|script.al>                   validate, print every error, start nothing
  cmd [--root DIR|--socket PATH] "<command>"    run an EdgeLake command on a running node
  send [--root DIR|--socket PATH] <actor> '<json message>'
  kill [--root DIR|--socket PATH] <actor>       crash an actor's worker (the supervisor restarts it)
  stop [--root DIR|--socket PATH]               stop the node gracefully
  console [--root DIR|--socket PATH]            interactive prompt
The root defaults to $EDGELAKE_RT_ROOT or ./edgelake-data.`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  // `start` keeps running when its output's reader goes away (start.ts); the other verbs end quietly.
  if (args.verb !== 'start') exitWhenOutputCloses();
  switch (args.verb) {
    case 'start': {
      // First of all: the process execs itself with glibc's arena cap in its environment (arena-exec.ts); when that
      // is done this call does not return, and the new image comes back here with the cap set.
      const execFailure = await (await import('./arena-exec.js')).execWithArenaCap();
      // The re-executed image: its children get the user's LD_PRELOAD and MALLOC_CONF, not ours (allocator.ts).
      (await import('./allocator.js')).restoreEnvAfterExec();
      // Module loading and the services' start inflate the main thread's young generation (young-gen.ts).
      const young = holdYoungGeneration();
      return (await import('./start.js')).runStart(args, () => young.release(), execFailure);
    }
    case 'check':
      return (await import('./check.js')).runCheck(args);
    case 'cmd':
    case 'send':
    case 'kill':
    case 'stop':
      return (await import('./client-verbs.js')).runClientVerb(args);
    case 'console':
      return (await import('./console.js')).runConsole(args);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      process.stderr.write(`unknown verb '${args.verb}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // `start` keeps running until a signal; the others end here.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`edgelake-rt: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);

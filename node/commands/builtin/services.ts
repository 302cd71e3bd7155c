// `run <service> [positional...] [where ...]` and `exit <service>` for every service descriptor.
// The options go through the service's schema (the same one node.yaml uses), so unknown keys and
// wrong types are refused with the key named, before any worker is spawned.
import { CommandError } from '../../../base/errors.js';
import {
  withNodeDefaults,
  type CommandSpec,
  type Invocation,
  type NodeApi,
  type ServiceDescriptor,
} from '../../service.js';
import { argWords, whereObject, withKeyPositions } from '../args.js';
import { Status } from '../../../base/status.js';

/** The raw option object of a `run` invocation: positional arguments, then `where` options. */
export function runOptions(desc: ServiceDescriptor, inv: Invocation, node: NodeApi): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const args = argWords(inv, node);
  const names = desc.positional ?? [];
  if (args.length > names.length) {
    throw new CommandError(
      `run ${desc.run[0]!.join(' ')}: unexpected '${args[names.length]}' (positional arguments: ${names.join(' ') || 'none'}; use 'where key = value')`,
      { code: Status.CommandStructure },
    );
  }
  args.forEach((v, i) => (raw[names[i]!] = v));
  return { ...raw, ...whereObject(inv, node) };
}

function runCommand(desc: ServiceDescriptor, words: readonly string[]): CommandSpec {
  return {
    words: ['run', ...words],
    method: 'post',
    usage: `run ${words.join(' ')} where ...`,
    async run(inv, node) {
      if (!desc.entry)
        throw new CommandError(`run ${words.join(' ')}: ${desc.unavailable ?? 'not available'}`, {
          code: Status.CommandStructure,
        });
      const raw = runOptions(desc, inv, node);
      // Validate here, with key positions, before the node spawns anything.
      withKeyPositions(inv.where, () => desc.schema.parse(withNodeDefaults(desc, node, raw), `run ${words.join(' ')}`));
      await node.startService(desc, raw, inv.env);
      return '';
    },
  };
}

function exitCommand(desc: ServiceDescriptor, name: string): CommandSpec {
  return {
    words: ['exit', ...name.split(' ')],
    method: 'post',
    usage: `exit ${name}${desc.multi ? ' [id|all]' : ''}`,
    async run(inv, node) {
      const which = argWords(inv, node);
      const all = node.instances(desc.kind);
      let targets = all;
      if (desc.multi && which.length > 0 && which[0] !== 'all') {
        const n = Number(which[0]);
        targets = all.filter((i) => i.id === which[0] || i.id === `${desc.kind}-${n}`);
        if (targets.length === 0)
          throw new CommandError(`exit ${name}: no ${desc.process} instance '${which[0]}'`, {
            code: Status.MqttWrongClientId,
          });
      }
      if (targets.length === 0) return `${desc.process} is not running`;
      for (const t of targets) await node.stopService(t.id, `exit ${name}`);
      return '';
    },
  };
}

/** Every `run ...` and `exit ...` command of the services (service-specific ones take precedence). */
export function serviceCommands(services: readonly ServiceDescriptor[]): CommandSpec[] {
  const own = new Set(services.flatMap((s) => (s.commands ?? []).map((c) => c.words.join(' '))));
  const out: CommandSpec[] = [];
  for (const desc of services) {
    for (const words of desc.run) if (!own.has(['run', ...words].join(' '))) out.push(runCommand(desc, words));
    for (const name of desc.exit) if (!own.has(`exit ${name}`)) out.push(exitCommand(desc, name));
  }
  return out;
}

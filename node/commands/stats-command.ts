// `get <service> [<topic>] [where format = table|json]`: a service's counters, by topic, from its running
// actor (`get operator`, `get publisher`, `get consumer`, `get distributor`): the topic and format are checked
// here once, the service says what its actor is asked and what shows while it does not run.
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { argWords, formatOf } from './args.js';
import { runningInstance, type CommandSpec, type NodeApi } from '../service.js';

export type StatsFormat = 'table' | 'json';

export interface StatsCommandSpec<T extends string> {
  /** The command words (`['get', 'operator']`). */
  words: readonly string[];
  /** The service's kind: while none runs, the command answers `idle`. */
  kind: string;
  /** The topics it takes; none: it takes no topic argument. */
  topics: readonly T[];
  /** The topic of a command that names none (undefined: the service decides, e.g. several topics). */
  defaultTopic?: T;
  idle(topic: T | undefined, format: StatsFormat): string;
  /** Asks the running actor for the counters of `topic`. */
  ask(node: NodeApi, topic: T | undefined, format: StatsFormat): Promise<string>;
}

export function statsCommand<T extends string>(spec: StatsCommandSpec<T>): CommandSpec {
  const name = spec.words.join(' ');
  const list = spec.topics.join(', ');
  return {
    words: spec.words,
    method: 'get',
    usage: `${name}${spec.topics.length > 0 ? ` [${spec.topics.join('|')}]` : ''} [where format = json]`,
    async run(inv, node) {
      let topic = spec.defaultTopic;
      if (spec.topics.length > 0) {
        const [word, extra] = argWords(inv, node);
        if (extra !== undefined)
          throw new CommandError(`${name}: one topic at most (${list})`, { code: Status.CommandStructure });
        if (word !== undefined) {
          const known = spec.topics.find((t) => t === word);
          if (known === undefined)
            throw new CommandError(`${name}: unknown topic '${word}' (${list})`, { code: Status.CommandStructure });
          topic = known;
        }
      }
      const format = formatOf(inv, node) === 'json' ? 'json' : 'table';
      if (!runningInstance(node, spec.kind)) return spec.idle(topic, format);
      return spec.ask(node, topic, format);
    },
  };
}

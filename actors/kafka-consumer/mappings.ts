// The `topic = (...)` clauses of `run kafka consumer` compiled once, in `init`: a column mapping with
// compileTopic, a `policy = <ref>` with compilePolicy after looking the policy up (mapping-source.ts).
// A bad mapping fails the start with the topic named (EdgeLake: error 124 at registration).
import type { ActorContext } from '../../runtime/actor.js';
import { ConfigError } from '../../base/errors.js';
import { compilePolicy, compileTopic, type Mapper } from '../../protocols/mapping/index.js';
import type { TopicConfig } from '../_shared/topic.js';
import { dictionaryFor, loadMappingPolicy } from '../_shared/mapping-source.js';
import { Status } from '../../base/status.js';

export interface TopicMapping {
  topic: string;
  mapper: Mapper;
  /** For status: `dbms.table` or `policy <id>`. */
  mapping: string;
}

export async function compileTopics(
  ctx: ActorContext,
  topics: readonly TopicConfig[],
  where: string,
): Promise<Map<string, TopicMapping>> {
  if (topics.length === 0)
    throw new ConfigError(
      `${where}.topic: required (at least one topic = (name = .. and dbms = .. and table = .. and column...))`,
      { code: Status.MqttInfo },
    );
  const out = new Map<string, TopicMapping>();
  const dictionary = await dictionaryFor(
    ctx,
    topics.map((t) => t.extra ?? {}),
  );
  for (const t of topics) {
    const at = `${where}.topic '${t.name}'`;
    if (out.has(t.name)) throw new ConfigError(`${at}: given twice`, { code: Status.MqttInfo });
    if (t.persist || t.dynamic)
      throw new ConfigError(`${at}: persist and dynamic are not supported by the Kafka consumer`, {
        code: Status.MqttInfo,
      });
    if (t.policy !== undefined && t.policy !== '') {
      const policy = await loadMappingPolicy(ctx, t.policy, at);
      const inner = policy['mapping'] as Record<string, unknown>;
      out.set(t.name, {
        topic: t.name,
        mapper: compilePolicy(policy, { dictionary }),
        mapping: `policy ${String(inner['id'] ?? t.policy)}`,
      });
      continue;
    }
    const mapper = compileTopic({ name: t.name, dbms: t.dbms, table: t.table, extra: t.extra }, { dictionary });
    out.set(t.name, { topic: t.name, mapper, mapping: `${t.dbms ?? ''}.${t.table ?? ''}` });
  }
  return out;
}

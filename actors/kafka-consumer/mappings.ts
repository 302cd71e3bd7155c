// The `topic = (...)` clauses of `run kafka consumer` compiled once, in `init`: a column mapping with
// compileTopic, each `policy = <ref>` (it may repeat) with compilePolicy after looking the policy up (mapping-source.ts).
// A bad mapping fails the start with the topic named (EdgeLake: error 124 at registration).
import type { ActorContext } from '../../runtime/actor.js';
import { ConfigError } from '../../base/errors.js';
import { chainMappers, compilePolicy, compileTopic, type Mapper } from '../../protocols/mapping/index.js';
import type { TopicConfig } from '../_shared/topic.js';
import { dictionaryFor, loadMappingPolicy } from '../_shared/mapping-source.js';
import { Status } from '../../base/status.js';

export interface TopicMapping {
  topic: string;
  mapper: Mapper;
  /** For status: `dbms.table` or `policy <id> [<id> ...]`. */
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
    const ids = (t.policy ?? []).filter((id) => id !== '');
    if (ids.length > 0) {
      // Several policies map the message in turn (EdgeLake mqtt_client.py `process_using_policies`).
      const mappers: Mapper[] = [];
      const names: string[] = [];
      for (const id of ids) {
        const policy = await loadMappingPolicy(ctx, id, at);
        const inner = policy['mapping'] as Record<string, unknown>;
        mappers.push(compilePolicy(policy, { dictionary }));
        names.push(String(inner['id'] ?? id));
      }
      out.set(t.name, { topic: t.name, mapper: chainMappers(mappers), mapping: `policy ${names.join(' ')}` });
      continue;
    }
    const mapper = compileTopic({ name: t.name, dbms: t.dbms, table: t.table, extra: t.extra }, { dictionary });
    out.set(t.name, { topic: t.name, mapper, mapping: `${t.dbms ?? ''}.${t.table ?? ''}` });
  }
  return out;
}

// Settings the node keeps for a service for the node's life, whether or not the service runs (streamer
// thresholds, the consumer's mode, distribution rules, the msg clients' routes...). Each is declared once, by
// the module that owns it, as a typed key: `const THRESHOLDS = defineSetting<Thresholds>('streamer.thresholds')`.
// Commands on the main thread read and write through `node.settings`; a worker reads its own with
// `readSetting(ctx, KEY)` (the node answers `node.settings.get`). The value type travels with the key, so
// no caller names it: the two casts below are the only place a stored value meets its type.
import type { ActorContext } from '../runtime/actor.js';
import { NODE } from './messages.js';

declare const valueType: unique symbol;

/** A declared setting: its name (unique in the node, `<service>.<what>`) and, as a type, its value. */
export interface Setting<T> {
  readonly name: string;
  readonly [valueType]?: T;
}

export function defineSetting<T>(name: string): Setting<T> {
  return { name };
}

export class Settings {
  private readonly values = new Map<string, unknown>();
  /** The key object each name was first written with: two keys sharing a name are a bug, found at once. */
  private readonly keys = new Map<string, Setting<unknown>>();

  get<T>(key: Setting<T>): T | undefined {
    return this.values.get(key.name) as T | undefined;
  }

  set<T>(key: Setting<T>, value: T): void {
    const known = this.keys.get(key.name);
    if (known !== undefined && known !== key) throw new Error(`setting '${key.name}' is declared twice`);
    this.keys.set(key.name, key);
    this.values.set(key.name, value);
  }

  delete(key: Setting<unknown>): void {
    this.values.delete(key.name);
  }

  /** What a worker's `node.settings.get` receives (it names the setting; `readSetting` types the answer). */
  byName(name: string): unknown {
    return this.values.get(name);
  }
}

/** A worker reads a setting from the node (undefined when never set). */
export async function readSetting<T>(ctx: ActorContext, key: Setting<T>, timeoutMs = 5000): Promise<T | undefined> {
  return (await ctx.ask(NODE, { type: 'node.settings.get', name: key.name }, timeoutMs)) as T | undefined;
}

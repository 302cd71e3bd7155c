// The node.yaml samples of an actor's README: every ```yaml block parses as node.yaml (the service
// sections through their schemas) and its commands pass the static checker.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVICES } from '../../actors/index.js';
import { CommandChecker } from '../../node/commands/check.js';
import { parseNodeConfig } from '../../node/config/node-config.js';

export function checkReadmeSamples(actor: string): void {
  const text = readFileSync(new URL(`../../actors/${actor}/README.md`, import.meta.url), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, `${actor}/README.md has a yaml sample`);
  const checker = new CommandChecker(SERVICES);
  for (const b of blocks) {
    const cfg = parseNodeConfig(b, `${actor}/README.md`, SERVICES);
    for (const c of cfg.commands) assert.deepEqual(checker.check(c.text), [], c.text);
  }
}

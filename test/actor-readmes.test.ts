// Every actor folder documents itself with a README.md holding a sample node.yaml section; the
// sample must validate (same schemas as `run ... where` and node.yaml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '../actors/index.js';
import { parseNodeConfig } from '../node/config/node-config.js';

const actors = new URL('../actors/', import.meta.url).pathname;

for (const dir of readdirSync(actors, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== '_shared')
  .map((e) => e.name)) {
  const readme = join(actors, dir, 'README.md');
  const desc = SERVICES.find((s) => s.kind === dir);
  test(
    `actors/${dir} has a README whose sample config validates`,
    { skip: desc && !desc.entry ? `${dir} is not built yet` : false },
    () => {
      assert.ok(existsSync(readme), `${readme} is missing`);
      const text = readFileSync(readme, 'utf8');
      const m = /```yaml\n([\s\S]*?)```/.exec(text);
      assert.ok(m, `${readme} has no yaml sample`);
      const cfg = parseNodeConfig(m[1]!, readme, SERVICES);
      assert.ok(cfg.services.length + cfg.commands.length > 0, 'the sample configures something');
    },
  );
}

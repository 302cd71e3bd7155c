#!/usr/bin/env node
// After `tsc`: make the CLI executable and link it as node_modules/.bin/edgelake-rt, so that
// `npx edgelake-rt` and scripts find it in this checkout (npm links the bins of dependencies, not
// the project's own).
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/main/cli/main.js');
chmodSync(cli, 0o755);
const binDir = join(root, 'node_modules/.bin');
if (existsSync(join(root, 'node_modules'))) {
  mkdirSync(binDir, { recursive: true });
  const link = join(binDir, 'edgelake-rt');
  rmSync(link, { force: true });
  symlinkSync('../../dist/main/cli/main.js', link);
}

#!/usr/bin/env node
// `npm test` runs this first (pretest): the status page test (test/observe/status-page.test.ts) drives Debian's
// Chromium (/usr/bin/chromium). When it is missing and we are root on a Debian-like machine with apt-get (CI
// from a clean clone), install it; otherwise say so and go on: that test then skips with its own message.
// Never fails the run. EDGELAKE_RT_NO_CHROMIUM_INSTALL=1 turns the install off.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const say = (m) => process.stderr.write(`ensure-chromium: ${m}\n`);

function apt(args, timeoutMs) {
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

if (existsSync(CHROMIUM)) process.exit(0);
if (process.env.EDGELAKE_RT_NO_CHROMIUM_INSTALL === '1') {
  say(`${CHROMIUM} absent; install turned off: the status page test will skip`);
  process.exit(0);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!root || !hasApt) {
  say(`${CHROMIUM} absent and ${root ? 'no apt-get' : 'not root'}: the status page test will skip`);
  process.exit(0);
}
say('installing chromium (apt-get) for the status page test...');
// A fresh image has no package lists: install first, update and retry only if that fails.
const ok =
  apt(['install', '-y', 'chromium'], 300_000) ||
  (apt(['update'], 180_000) && apt(['install', '-y', 'chromium'], 300_000));
say(ok && existsSync(CHROMIUM) ? `installed ${CHROMIUM}` : 'install failed: the status page test will skip');

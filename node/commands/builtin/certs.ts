// Certificate commands (AnyLog's interface, spec/anylog-authentication.md "Certificates"), made with the system
// openssl (node/auth/certs.ts):
//   id generate certificate authority where password = .. and country = .. and state = .. and locality = ..
//                                     and org = .. and hostname = ..
//   id generate certificate request where [password = ..] and country = .. and state = .. and locality = ..
//                                   and org = .. and hostname = .. [and alt_names = a, b] [and ip = x, y]
//   id sign certificate request where ca_org = .. and server_org = .. [and password = <the CA's password>]
// The CA's password is kept in memory for this run when the CA is generated, so `id sign` needs it only after a
// restart (AnyLog's `id sign certificate request` names no password). Who may run them: as the auth commands.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { generateAuthority, generateRequest, orgFileName, signRequest, type Subject } from '../../auth/certs.js';
import type { CommandSpec, Invocation, NodeApi } from '../../service.js';
import { whereObject } from '../args.js';
import { ownerOnly } from './auth.js';

function fail(text: string): never {
  throw new CommandError(text, { code: Status.CommandStructure });
}

function opt(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (v === undefined || v === '') fail(`${what}: missing '${key}'`);
  return String(v).trim();
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return String(v)
    .replace(/^[[(]|[\])]$/g, '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

async function pemDir(node: NodeApi): Promise<string> {
  const dir = node.dict.get('pem_dir') || join(node.root, 'data', 'pem');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function subject(o: Record<string, unknown>, what: string): Subject {
  return {
    country: opt(o, 'country', what),
    state: opt(o, 'state', what),
    locality: opt(o, 'locality', what),
    org: opt(o, 'org', what),
    hostname: opt(o, 'hostname', what),
  };
}

const caSecret = (org: string): string => `ca:${orgFileName(org)}`;

function prepare(inv: Invocation, node: NodeApi, what: string): Record<string, unknown> {
  ownerOnly(inv, node, what);
  return whereObject(inv, node);
}

const genAuthority: CommandSpec = {
  words: ['id', 'generate', 'certificate', 'authority'],
  method: 'post',
  usage:
    'id generate certificate authority where password = .. and country = .. and state = .. and locality = .. and org = .. and hostname = ..',
  async run(inv, node) {
    const what = 'id generate certificate authority';
    const o = prepare(inv, node, what);
    const s = subject(o, what);
    const password = opt(o, 'password', what);
    await generateAuthority(await pemDir(node), s, password);
    node.auth?.keepSecret(caSecret(s.org), password);
    return '';
  },
};

const genRequest: CommandSpec = {
  words: ['id', 'generate', 'certificate', 'request'],
  method: 'post',
  usage:
    'id generate certificate request where country = .. and state = .. and locality = .. and org = .. and hostname = .. [and alt_names = ..] [and ip = ..]',
  async run(inv, node) {
    const what = 'id generate certificate request';
    const o = prepare(inv, node, what);
    await generateRequest(await pemDir(node), subject(o, what), list(o['alt_names']), list(o['ip']));
    return '';
  },
};

const signCsr: CommandSpec = {
  words: ['id', 'sign', 'certificate', 'request'],
  method: 'post',
  usage: 'id sign certificate request where ca_org = .. and server_org = .. [and password = <CA password>]',
  async run(inv, node) {
    const what = 'id sign certificate request';
    const o = prepare(inv, node, what);
    const caOrg = opt(o, 'ca_org', what);
    const password = o['password'] !== undefined ? String(o['password']) : node.auth?.getSecret(caSecret(caOrg));
    if (password === undefined)
      fail(`${what}: the CA's password is not known in this run: add 'and password = <CA password>'`);
    await signRequest(await pemDir(node), caOrg, opt(o, 'server_org', what), password);
    return '';
  },
};

export const certCommands: CommandSpec[] = [genAuthority, genRequest, signCsr];

// Certificates for REST over TLS with client certificates, made by the system `openssl` (OpenSSL 3; no
// hand-written ASN.1). File names are AnyLog's (spec/anylog-authentication.md), in `!pem_dir`; `[org]` is the
// organisation with spaces as hyphens:
//   ca-[org]-private_key.key      the CA's key, encrypted (AES-256) with the command's password
//   ca-[org]-public_key.crt       the CA's self-signed certificate (CA:TRUE, keyCertSign), 10 years
//   server-[org]-private_key.key  a node's (or a client's) key, not encrypted so the REST server starts unattended;
//                                 mode 0600 in a 0700 directory
//   server-[org]-csr.csr          its request, with the host name and IPs as subjectAltName
//   server-[org]-public_key.crt   the request signed by a CA: serverAuth and clientAuth, 825 days
// Passwords reach openssl through its environment (`-passout env:..`), never its command line (ps shows that).
import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export interface Subject {
  country: string;
  state: string;
  locality: string;
  org: string;
  hostname: string;
}

const PASS_ENV = 'EDGELAKE_RT_PEM_PASSWORD';

function fail(text: string): never {
  throw new CommandError(text, { code: Status.CommandStructure });
}

/** `[org]` of the file names: spaces as hyphens, and nothing that could leave the directory. */
export function orgFileName(org: string): string {
  const name = org.trim().replace(/\s+/g, '-');
  if (!/^[\w.\-]{1,64}$/.test(name) || name.startsWith('.')) fail(`org: '${org}' cannot name a certificate file`);
  return name;
}

export const pemFiles = (dir: string, org: string) => {
  const o = orgFileName(org);
  return {
    caKey: join(dir, `ca-${o}-private_key.key`),
    caCert: join(dir, `ca-${o}-public_key.crt`),
    key: join(dir, `server-${o}-private_key.key`),
    csr: join(dir, `server-${o}-csr.csr`),
    cert: join(dir, `server-${o}-public_key.crt`),
  };
};

const FIELD = /^[\w .,@'()+:-]{1,64}$/;

function subjectArg(s: Subject): string {
  for (const [k, v] of Object.entries(s))
    if (!FIELD.test(v)) fail(`${k}: '${v}' has characters a certificate name cannot have`);
  if (!/^[A-Za-z]{2}$/.test(s.country)) fail(`country: expected a two-letter code (got '${s.country}')`);
  return `/C=${s.country.toUpperCase()}/ST=${s.state}/L=${s.locality}/O=${s.org}/CN=${s.hostname}`;
}

function openssl(args: string[], password?: string): Promise<void> {
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    ...(password !== undefined ? { [PASS_ENV]: password } : {}),
  };
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { env, timeout: 60_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : String(stderr).trim();
      reject(
        new CommandError(`openssl ${args[0]} failed: ${why.split('\n').slice(-3).join(' ')}`, {
          code: Status.ProcessFailure,
          cause: err,
        }),
      );
    });
  });
}

export async function generateAuthority(dir: string, s: Subject, password: string): Promise<void> {
  if (password.length < 4) fail('password: at least 4 characters (openssl refuses shorter pass phrases)');
  const f = pemFiles(dir, s.org);
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-sha256',
      '-days',
      '3650',
      '-keyout',
      f.caKey,
      '-out',
      f.caCert,
      '-subj',
      subjectArg(s),
      '-passout',
      `env:${PASS_ENV}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    password,
  );
  await chmod(f.caKey, 0o600);
}

export async function generateRequest(dir: string, s: Subject, altNames: string[], ips: string[]): Promise<void> {
  const f = pemFiles(dir, s.org);
  for (const ip of ips) if (isIP(ip) === 0) fail(`ip: '${ip}' is not an IP address`);
  for (const n of altNames) if (!/^[\w.*-]{1,253}$/.test(n)) fail(`alt_names: '${n}' is not a host name`);
  const san = [...new Set([s.hostname, ...altNames])].filter((n) => isIP(n) === 0).map((n) => `DNS:${n}`);
  san.push(...[...new Set(ips)].map((ip) => `IP:${ip}`));
  await openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-sha256',
    '-noenc',
    '-keyout',
    f.key,
    '-out',
    f.csr,
    '-subj',
    subjectArg(s),
    ...(san.length > 0 ? ['-addext', `subjectAltName=${san.join(',')}`] : []),
  ]);
  await chmod(f.key, 0o600);
}

export async function signRequest(dir: string, caOrg: string, serverOrg: string, caPassword: string): Promise<void> {
  const ca = pemFiles(dir, caOrg);
  const srv = pemFiles(dir, serverOrg);
  const ext = join(dir, `.sign-${randomBytes(6).toString('hex')}.ext`);
  await writeFile(
    ext,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
    { mode: 0o600 },
  );
  try {
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        srv.csr,
        '-CA',
        ca.caCert,
        '-CAkey',
        ca.caKey,
        '-passin',
        `env:${PASS_ENV}`,
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        '-days',
        '825',
        '-sha256',
        '-copy_extensions',
        'copy',
        '-extfile',
        ext,
        '-out',
        srv.cert,
      ],
      caPassword,
    );
  } finally {
    await rm(ext, { force: true });
  }
}

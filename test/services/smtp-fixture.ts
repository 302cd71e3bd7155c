// A real SMTP server on 127.0.0.1:0 (the `smtp-server` package) that records what it receives, and a
// self-signed certificate made with openssl for the TLS tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  user: string;
  /** The session was encrypted when the message came in. */
  secure: boolean;
  subject: string;
  body: string;
  raw: string;
}

export interface SmtpFixture {
  port: number;
  mails: Received[];
  /** Failed AUTH attempts seen by the server. */
  refusedLogins: number;
}

export interface ServerOptions {
  user: string;
  pass: string;
  /** `none`: no STARTTLS offered; `starttls`: offered, with `cert`; `implicit`: TLS from the first byte. */
  tls: 'none' | 'starttls' | 'implicit';
  cert?: Cert;
}

export interface Cert {
  dir: string;
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
}

/** A self-signed certificate for 127.0.0.1 / localhost in a temp dir, or undefined without openssl. */
export function selfSignedCert(t: TestContext): Cert | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-cert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe', timeout: 20_000 },
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { dir, keyFile, certFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

function header(head: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(head);
  return m ? m[1]!.replace(/\r\n[ \t]/g, ' ').trim() : '';
}

/** The text body: 7bit as is, quoted-printable decoded; line ends as `\n`. */
function bodyText(head: string, body: string): string {
  let text = body;
  if (/^content-transfer-encoding:\s*quoted-printable/im.test(head)) {
    text = text
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  } else if (/^content-transfer-encoding:\s*base64/im.test(head)) {
    text = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return text.replace(/\r\n/g, '\n');
}

export async function startSmtpServer(t: TestContext, opts: ServerOptions): Promise<SmtpFixture> {
  const fx: SmtpFixture = { port: 0, mails: [], refusedLogins: 0 };
  const server = new SMTPServer({
    secure: opts.tls === 'implicit',
    ...(opts.cert ? { key: opts.cert.key, cert: opts.cert.cert } : {}),
    disabledCommands: opts.tls === 'none' ? ['STARTTLS'] : [],
    allowInsecureAuth: opts.tls === 'none',
    authMethods: ['PLAIN', 'LOGIN'],
    closeTimeout: 500,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) return cb(null, { user: auth.username });
      fx.refusedLogins++;
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.slice(0, split);
        const mailFrom = session.envelope.mailFrom;
        fx.mails.push({
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: String(session.user ?? ''),
          secure: session.secure,
          subject: header(head, 'subject'),
          body: bodyText(head, raw.slice(split + 4)),
          raw,
        });
        cb();
      });
    },
  });
  server.on('error', () => undefined); // a client dropping mid-session is not the test's failure
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fx.port = (server.server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return fx;
}

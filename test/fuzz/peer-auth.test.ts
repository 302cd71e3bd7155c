// Fuzzing of node authentication (issue 13, second look): block 1's authentication segment built from parts an
// attacker controls (tag, key, time, nonce, destination, digest, signature, separators, length), some signed for real, through the TCP
// server's Inbound with a PeerVerifier that checks them. Property (check.ts): nothing but a typed EdgeRtError is
// thrown (an untyped one crashes the tcp-server actor, which also forgets the nonces it saw). Found by hand first:
// an X25519 key, whose SPKI has an Ed25519 key's length, made `verify` throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { fuzz } from './check.js';
import type { FuzzTarget } from './targets.js';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { AUTH_LENGTH, authSegment, blocksDigest, placeholderAuth, writeAuth } from '../../peer/sign.js';
import { Inbound } from '../../actors/tcp-server/inbound.js';
import { PeerVerifier } from '../../actors/tcp-server/peer-auth.js';

const spki = (type: 'ed25519' | 'x25519'): string =>
  generateKeyPairSync(type as 'ed25519')
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');
const ed = generateKeyPairSync('ed25519');
const signer = {
  publicKey: ed.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  key: ed.privateKey,
};
/** The address the verifier is told is its own. */
const DEST = '127.0.0.1:1';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const b64 = (n: number) => fc.array(fc.constantFrom(...B64), { minLength: n, maxLength: n }).map((a) => a.join(''));

interface Input {
  signed: boolean;
  fields: string[];
  sep: string;
  fit: boolean;
  flip: number;
}

const target: FuzzTarget<Input> = {
  name: 'peer-auth-segment',
  arb: fc.record({
    signed: fc.boolean(),
    // Well-formed parts, one of them (or none) replaced by any text: each check is reached with the others passing.
    fields: fc
      .tuple(
        fc.constantFrom('ert2', 'ert1', 'ERT2', 'ert0'),
        fc.oneof(fc.constantFrom(signer.publicKey, spki('x25519'), spki('ed25519')), b64(60)),
        fc.oneof(fc.constant(Date.now().toString(16).padStart(12, '0')), fc.stringMatching(/^[0-9a-f]{12}$/)),
        b64(16),
        fc.constantFrom(DEST.padEnd(64, '#'), '127.0.0.1:2'.padEnd(64, '#'), ''.padEnd(64, '#')),
        b64(44),
        b64(88),
        fc.integer({ min: -1, max: 6 }),
        fc.string({ maxLength: 100 }),
      )
      .map(([tag, key, time, nonce, dest, digest, sig, at, any]) => {
        const f = [tag, key, time, nonce, dest, digest, sig];
        if (at >= 0) f[at] = any;
        return f;
      }),
    sep: fc.oneof({ arbitrary: fc.constant(' '), weight: 6 }, fc.constantFrom('  ', '\t', '')),
    fit: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, fc.constant(false)),
    flip: fc.integer({ min: -1, max: AUTH_LENGTH - 1 }),
  }),
  run({ signed, fields, sep, fit, flip }) {
    const blocks = commandMessage('get status', {
      source: { ip: '127.0.0.1', port: 1 },
      jobId: 1,
      auth: placeholderAuth(),
    });
    if (signed) {
      // A real segment, then one byte changed (or none): the checks past parsing are reached.
      const seg = Buffer.from(authSegment(signer, blocksDigest(blocks), DEST));
      if (flip >= 0) seg[flip] = seg[flip]! ^ 1;
      writeAuth(blocks, seg);
    } else {
      let text = Buffer.from(fields.join(sep), 'utf8');
      // Most inputs fit the segment's length (the parser's first check); some do not.
      if (fit) text = Buffer.concat([text, Buffer.alloc(AUTH_LENGTH)]).subarray(0, AUTH_LENGTH);
      const message = commandMessage('get status', { source: { ip: '127.0.0.1', port: 1 }, jobId: 1, auth: text });
      blocks.splice(0, blocks.length, ...message);
    }
    const verifier = new PeerVerifier({ enabled: true, allow: [] }, [DEST]);
    new Inbound({ commandBytes: 1 << 20, answerBytes: 1 << 20, auth: () => verifier.forPeer('127.0.0.1') }).push(
      Buffer.concat(blocks),
    );
  },
};

test('fuzz node authentication segments: only typed refusals, never a crash', async () => {
  const r = await fuzz(target, { runs: 3000, perInputMs: 3000 });
  assert.equal(r.crashes + r.hangs, 0, `${JSON.stringify(r)}`);
});

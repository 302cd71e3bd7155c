// Seeded randomness for the TCP tests: a failure reproduces with the same seed.

/** mulberry32: small, fast, good enough to vary test inputs. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rnd: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

const ALPHABET = ['a', 'z', ' ', '\t', '=', '"', '!', 'é', 'ß', '✓', '日', '🚀', '0', '9', '.', ':'];

/** Text of `n` characters mixing ASCII, TAB and 2-, 3- and 4-byte UTF-8 characters. */
export function randomText(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)]!;
  return s;
}

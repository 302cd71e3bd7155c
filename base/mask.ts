// Secrets inside command text (`connect dbms ... password = x`, `set local password = x`, a JSON policy with
// "password": "x", a URL with user:password@) masked for display: `get scheduler`, `get dictionary`, error
// messages that echo a command, and every string the logger writes. Text only (base/ knows no lexer): a value is
// one quoted string or one word; `id update user password` also masks `old` and `new`.
export const MASK = '******';

const KEY = String.raw`[\w.]*(?:pass(?:word)?|secret|token|private_key|api_key|credential)[\w.]*`;
const VALUE = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s)]+`;

const ASSIGN = new RegExp(String.raw`(\b${KEY}\s*=\s*)(${VALUE})`, 'gi');
const JSON_FIELD = new RegExp(String.raw`("${KEY}"\s*:\s*)("(?:[^"\\]|\\.)*")`, 'gi');
const URL_CREDENTIALS = /(\b[a-z][\w+.-]*:\/\/[^:/\s@]+:)([^@\s/]+)(@)/gi;
const OLD_NEW = new RegExp(String.raw`(\b(?:old|new)\s*=\s*)(${VALUE})`, 'gi');
const UPDATE_PASSWORD = /\bid\s+update\s+user\s+password\b/i;

/** `text` with the values of secret-looking options replaced by `******`. */
export function maskSecrets(text: string): string {
  if (text.length === 0) return text;
  let out = text
    .replace(ASSIGN, (_m, k: string) => `${k}${MASK}`)
    .replace(JSON_FIELD, (_m, k: string) => `${k}"${MASK}"`)
    .replace(URL_CREDENTIALS, (_m, a: string, _p: string, at: string) => `${a}${MASK}${at}`);
  if (UPDATE_PASSWORD.test(out)) out = out.replace(OLD_NEW, (_m, k: string) => `${k}${MASK}`);
  return out;
}

// MQTT topic filters, shared by the msg client (which clause a received topic belongs to) and the
// message broker (which `broker = local` clients a publish goes to).

/** MQTT topic filter matching (MQTT 3.1.1 section 4.7): `+` is one level, a trailing `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (!filter.includes('+') && !filter.includes('#')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1 && !(i === 0 && t[0]!.startsWith('$'));
    if (i >= t.length) return false;
    if (f[i] === '+') {
      if (i === 0 && t[0]!.startsWith('$')) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

// The status page's script: polls /status.json and renders it. Values go in with textContent only (log
// messages and table names come from the network). `?refresh=<ms>` sets the interval (default 2000, min 100).
'use strict';

const params = new URLSearchParams(location.search);
const REFRESH = Math.max(100, Number(params.get('refresh')) || 2000);
const DATA = new URL('status.json', location.href.replace(/\/status\/?(\?.*)?$/, '/status'));

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fillRows(id, rows, empty) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', empty, 'muted');
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const cells of rows) {
    const tr = el('tr');
    for (const c of cells) tr.append(c instanceof Node ? c : el('td', c));
    body.append(tr);
  }
}

function num(v, digits = 0) {
  return el('td', Number(v).toLocaleString(undefined, { maximumFractionDigits: digits }), 'num');
}

function duration(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const STATE_CLASS = { running: 'ok', starting: 'warn', restarting: 'warn', stopping: 'warn', failed: 'bad' };

function spark(series) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const w = 150;
  const h = 24;
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  const max = Math.max(1, ...series);
  const step = series.length > 1 ? w / (series.length - 1) : w;
  const pts = series.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#0969da');
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  const td = el('td');
  td.append(svg);
  return td;
}

function render(s) {
  document.getElementById('node').textContent = s.node;
  const ready = document.getElementById('ready');
  ready.textContent = s.readiness.ready ? 'ready' : 'not ready';
  ready.className = `badge ${s.readiness.ready ? 'ok' : 'bad'}`;
  document.getElementById('reasons').textContent = s.readiness.reasons.join(' · ');
  document.getElementById('updated').textContent = `updated ${new Date(s.now).toLocaleTimeString()}`;
  fillRows(
    'services',
    s.services.map((x) => {
      const state = el('td', x.status, STATE_CLASS[x.status] || '');
      state.dataset.service = x.id;
      if (x.error) state.title = x.error;
      const restarts = num(x.restarts);
      restarts.dataset.restarts = x.id;
      return [el('td', x.id), el('td', x.kind, 'muted'), state, restarts, el('td', duration(x.uptimeS))];
    }),
    'no service running',
  );
  fillRows(
    'ingest',
    s.ingest.map((x) => [el('td', x.table), num(x.total), num(x.perSecond, 1), spark(x.series)]),
    'no rows ingested yet',
  );
  const j = s.journal;
  fillRows(
    'journal',
    [
      [el('th', 'Unapplied entries'), num(j.unappliedEntries)],
      [el('th', 'Unapplied rows'), num(j.unappliedRows)],
      [el('th', 'Oldest unapplied'), el('td', j.oldestAgeS > 0 ? `${j.oldestAgeS.toFixed(1)} s` : '-', 'num')],
      [el('th', 'Start replay remaining'), num(j.replayRemaining)],
    ],
    '',
  );
  const prog = document.getElementById('progress');
  prog.replaceChildren(
    ...s.progress.map((p) =>
      el(
        'div',
        `${p.task}: ${p.done} of ${p.total} ${p.unit} (${Math.round(p.rate)}/s)${p.finished ? ', done' : ''}`,
        p.finished ? 'muted' : 'warn',
      ),
    ),
  );
  fillRows(
    'errors',
    s.recentErrors.map((e) => [
      el('td', new Date(e.ts).toLocaleTimeString(), 'muted'),
      el('td', e.level, e.level === 'error' ? 'bad' : 'warn'),
      el('td', e.src),
      el('td', e.msg),
    ]),
    'none',
  );
  fillRows(
    'dead',
    s.deadLetters.map((d) => [el('td', d.to), el('td', d.reason), num(d.count)]),
    'none',
  );
  fillRows(
    'peers',
    s.peers.map((p) => [el('td', p.peer), num(p.ok), num(p.error), num(p.timeout)]),
    'no peer requests yet',
  );
}

async function tick() {
  try {
    const r = await fetch(DATA, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    render(await r.json());
  } catch (err) {
    document.getElementById('updated').textContent = `cannot reach the node: ${err.message}`;
  } finally {
    setTimeout(tick, REFRESH);
  }
}

tick();

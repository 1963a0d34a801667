// convoy ui's page: plain JavaScript, no framework, no build. The server pushes every host's view over one event
// stream (/events); this script keeps them in `hosts` and draws the table, then updates a host's rows in place. Host data (names, states, log lines)
// is untrusted: it only ever goes into textContent, never into HTML.
'use strict';

const hosts = new Map(); // host name -> { view, receivedAt }
const actions = new Map(); // action id -> progress
let csrf = '';
let drawPending = false;

const $ = (id) => document.getElementById(id);

// Only the uptimes on screen tick: writing 2000 cells every second made the page lay out its whole table each time.
const visibleUptimes = new Set();
const uptimeObserver = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) visibleUptimes.add(e.target);
    else visibleUptimes.delete(e.target);
  }
});

/** An element with its text and attributes; children appended. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** supervisorctl's uptime: 0:00:06, 1 day, 2:03:04. */
function uptimeText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const clock = `${Math.floor((s % 86400) / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return days === 0 ? clock : `${days} ${days === 1 ? 'day' : 'days'}, ${clock}`;
}

function uptimeOf(program, receivedAt) {
  if (program.start === null) return '';
  return uptimeText(program.now - program.start + (Date.now() - receivedAt) / 1000);
}

function matchesFilter(words, state) {
  const text = $('filter').value.trim().toLowerCase();
  const wanted = $('state-filter').value;
  if (wanted === 'not-running' && state === 'RUNNING') return false;
  if (wanted && wanted !== 'not-running' && state !== wanted) return false;
  return text === '' || words.some((w) => w.toLowerCase().includes(text));
}

function busyOn(host) {
  return [...actions.values()].some((a) => a.host === host && a.state === 'running');
}

function actionButtons(host, names, label) {
  const cell = el('td', { class: 'buttons' });
  for (const action of ['start', 'stop', 'restart']) {
    const button = el('button', { type: 'button', 'data-action': action, text: action });
    button.addEventListener('click', () => askAction(action, host, names, label));
    cell.append(button);
  }
  return cell;
}

function logButtons(cell, host, program) {
  for (const stream of ['stdout', 'stderr']) {
    const button = el('button', { type: 'button', 'data-log': stream, text: stream });
    button.addEventListener('click', () => openLog(host, program, stream));
    cell.append(button);
  }
  return cell;
}

function programRow(host, p, receivedAt) {
  const name = `${p.group}:${p.name}`;
  const row = el('tr', { class: `program${busyOn(host) ? ' busy' : ''}`, 'data-host': host, 'data-program': name });
  row.append(
    el('td', { text: p.group === p.name ? p.name : name }),
    el('td', { text: host }),
    el('td', { class: 'state' }),
    el('td', { class: 'uptime' }),
    el('td', { class: 'pid' }),
    el('td', { class: 'info' }),
    logButtons(actionButtons(host, [name], `${name} on ${host}`), host, name),
  );
  fillProgramCells(row, p, receivedAt);
  uptimeObserver.observe(row.cells[3]);
  return row;
}

/** The cells of a program row that change as the program does: state, uptime, PID, why it is not running. */
function fillProgramCells(row, p, receivedAt) {
  const [, , state, uptime, pid, info] = row.cells;
  state.className = `state state-${p.state}`;
  state.textContent = p.state;
  uptime.textContent = uptimeOf(p, receivedAt);
  uptime.dataset.since = p.start === null ? '' : String(receivedAt - (p.now - p.start) * 1000);
  pid.textContent = p.pid === null ? '' : String(p.pid);
  info.textContent = p.info;
}

function deployText(app) {
  if (!app) return '';
  const parts = [];
  if (app.release) parts.push(`release ${app.release}`);
  const d = app.lastDeploy;
  if (d) parts.push(`last ${d.action} ${d.outcome} by ${d.user} (${d.login}) ${new Date(d.at).toLocaleString()}`);
  return parts.join(' · ');
}

function hostRow(group, host, view) {
  const row = el('tr', { class: 'host', 'data-host': host, 'data-group': group });
  const buttons = actionButtons(host, [`${group}:*`], `every program of ${group} on ${host}`);
  row.append(
    el('td', { text: `${group}:*` }),
    el('td', { class: 'hostname', text: host }),
    el('td'),
    el('td'),
    el('td'),
    el('td', { class: 'info release', text: deployText(view.apps[group]) }),
    logButtons(buttons, host, `${group}:*`),
  );
  return row;
}

/** The group's header: its count, and actions and logs for the group on every host (a restart rolls). */
function groupRow(group, programs) {
  const head = el('th', { colspan: '6', class: 'group-count', text: groupCountText(group, programs) });
  const label = `every program of ${group} on every host (a restart goes host batch by host batch)`;
  const buttons = actionButtons('*', [`${group}:*`], label);
  const cell = logButtons(el('th', {}, ...buttons.childNodes), '', `${group}:*`);
  return el('tr', { class: 'group', 'data-group': group }, head, cell);
}

function groupCountText(group, programs) {
  const running = programs.filter((p) => p.state === 'RUNNING').length;
  return `${group}  ${running}/${programs.length} RUNNING`;
}

/** The group's rows: a row per host (the group there, its release and last deploy) and a row per program. */
function groupBody(group, members) {
  const body = el('tbody', { 'data-group': group });
  body.append(
    groupRow(
      group,
      members.map((m) => m.p),
    ),
  );
  let lastHost = '';
  for (const { host, p, entry } of members) {
    if (!matchesFilter([host, group, p.name, p.state], p.state)) continue;
    if (host !== lastHost) body.append(hostRow(group, host, entry.view));
    lastHost = host;
    body.append(programRow(host, p, entry.receivedAt));
  }
  return body.children.length > 1 ? body : null;
}

/** Hosts that did not answer are rows too: unreachable, supervisord down, still connecting. */
function problemRows() {
  const body = el('tbody', { id: 'problems' });
  for (const [host, { view }] of sortedHosts()) {
    if (view.reach === 'ok' || !matchesFilter([host, view.reach, view.error || ''], view.reach.toUpperCase())) continue;
    const state = view.reach.replaceAll('-', ' ').toUpperCase(); // SUPERVISORD DOWN, SUPERVISORD NOT ANSWERING
    const row = el('tr', { class: 'unanswered', 'data-host': host });
    row.append(el('td', { text: '-' }), el('td', { text: host }));
    row.append(el('td', { class: `state state-${view.reach}`, text: state }), el('td'), el('td'));
    row.append(el('td', { class: 'info', text: view.error || '' }), el('td'));
    body.append(row);
  }
  return body;
}

function sortedHosts() {
  return [...hosts.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Every program of every host, by group (hosts in natural order). */
function programsByGroup() {
  const groups = new Map();
  for (const [host, entry] of sortedHosts()) {
    for (const p of entry.view.programs) {
      if (!groups.has(p.group)) groups.set(p.group, []);
      groups.get(p.group).push({ host, p, entry });
    }
  }
  return groups;
}

/** The whole table, rebuilt: at the start, when the filter changes, and when a host's rows come or go. */
function draw() {
  drawPending = false;
  patchPending.clear();
  const groups = programsByGroup();
  const table = $('fleet');
  uptimeObserver.disconnect();
  visibleUptimes.clear();
  for (const body of [...table.tBodies]) body.remove();
  table.append(problemRows());
  for (const group of [...groups.keys()].sort()) {
    const body = groupBody(group, groups.get(group));
    if (body) table.append(body);
  }
  drawCounts(groups);
}

/** The counts line and each group's header count. */
function drawCounts(groups) {
  let total = 0;
  let running = 0;
  for (const [group, members] of groups) {
    const programs = members.map((m) => m.p);
    total += programs.length;
    running += programs.filter((p) => p.state === 'RUNNING').length;
    const head = document.querySelector(`tr.group[data-group="${CSS.escape(group)}"] th.group-count`);
    if (head) head.textContent = groupCountText(group, programs);
  }
  const down = [...hosts.values()].filter((e) => e.view.reach !== 'ok').length;
  $('counts').textContent =
    `${running}/${total} RUNNING on ${hosts.size} hosts${down ? `, ${down} not answering` : ''}`;
}

function redraw() {
  if (drawPending) return;
  drawPending = true;
  setTimeout(draw, 30);
}

/** Which rows a host has: when a new view keeps them, its rows are updated in place instead of redrawing. */
function rowsKey(view) {
  const names = view.programs.map((p) => `${p.group}:${p.name}`).join(' ');
  return `${view.reach} ${view.error || ''} ${names} ${JSON.stringify(view.apps)}`;
}

const patchPending = new Set();

/**
 * A host's new view: its program rows updated in place (state, uptime, PID, info) when it has the same rows as
 * before and no filter could hide or show one; else the table is redrawn. With 2000 rows a redraw per push kept
 * the page busy for hundreds of milliseconds each time (npm run bench:ui).
 */
function updateHost(view) {
  const before = hosts.get(view.host);
  hosts.set(view.host, { view, receivedAt: Date.now() });
  const filtered = $('filter').value.trim() !== '' || $('state-filter').value !== '';
  if (!before || filtered || rowsKey(before.view) !== rowsKey(view)) return redraw();
  patchPending.add(view.host);
  if (!drawPending && patchPending.size === 1) setTimeout(patchRows, 30);
}

function patchRows() {
  if (drawPending) return;
  for (const host of patchPending) {
    const entry = hosts.get(host);
    for (const p of entry.view.programs) {
      const selector = `tr.program[data-host="${CSS.escape(host)}"][data-program="${CSS.escape(`${p.group}:${p.name}`)}"]`;
      const row = document.querySelector(selector);
      if (row) fillProgramCells(row, p, entry.receivedAt);
    }
  }
  patchPending.clear();
  drawCounts(programsByGroup());
}

/** Uptimes count on between pushes (a view is only sent when something but the clock changed). */
function tickUptimes() {
  for (const cell of visibleUptimes) {
    if (cell.dataset.since) cell.textContent = uptimeText((Date.now() - Number(cell.dataset.since)) / 1000);
  }
}

/** One action as a line: what, where, by whom, how far (batches of a fleet-wide one) and why it failed. */
function actionText(a) {
  const where = a.host === '*' ? 'every host' : a.host;
  const batch = a.batch && a.state === 'running' ? `, batch ${a.batch.index}/${a.batch.total}` : '';
  const what = `${a.action} ${a.programs.join(' ')} on ${where} (${a.user}): ${a.state}${batch}`;
  const hosts = (a.hosts || []).map((h) => `${h.host} ${h.status}${h.error ? ` (${h.error})` : ''}`);
  const failures = (a.results || []).filter((r) => r.error).map((r) => `${r.program}: ${r.error}`);
  const detail = [a.error, ...failures].filter(Boolean).join('; ');
  return [what, hosts.join(', '), detail].filter(Boolean).join(': ');
}

function drawActions() {
  const list = $('actions');
  list.replaceChildren();
  for (const a of [...actions.values()].reverse()) {
    list.append(el('li', { class: a.state, 'data-action-id': String(a.id), text: actionText(a) }));
  }
}

function confirmAction(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
  });
}

async function askAction(action, host, programs, label) {
  if (!(await confirmAction(`${action} ${label}?`))) return;
  const response = await fetch('/actions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-convoy-csrf': csrf },
    body: JSON.stringify({ action, host, programs }),
  });
  if (!response.ok) {
    const id = `refused-${Date.now()}`;
    actions.set(id, { id, action, host, programs, user: '', state: 'failed', error: await response.text() });
    drawActions();
  }
}

let logSource = null;

function openLog(host, program, stream) {
  if (logSource) logSource.close();
  const lines = $('log-lines');
  lines.replaceChildren();
  $('log-title').textContent = `${program} ${stream} on ${host || 'every host'}`;
  $('logs').hidden = false;
  const query = new URLSearchParams({ program, stream });
  if (host) query.set('host', host);
  logSource = new EventSource(`/logs?${query}`);
  logSource.addEventListener('line', (event) => {
    const line = JSON.parse(event.data);
    const prefix = el('span', { class: 'prefix', text: `${line.host} ${line.program} | ` });
    lines.append(el('div', { class: line.notice ? 'notice' : 'line' }, prefix, line.text));
    if (lines.children.length > 2000) lines.firstChild.remove();
    lines.scrollTop = lines.scrollHeight;
  });
}

function closeLog() {
  if (logSource) logSource.close();
  logSource = null;
  $('logs').hidden = true;
}

function connect() {
  const source = new EventSource('/events');
  const status = $('connection');
  source.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data);
    csrf = hello.csrf;
    $('target').textContent = `${hello.target} · every ${hello.intervalMs / 1000} s · as ${hello.user}`;
    status.textContent = 'live';
    status.className = 'connection live';
  });
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    hosts.clear();
    for (const view of snapshot.hosts) hosts.set(view.host, { view, receivedAt: Date.now() });
    for (const a of snapshot.actions) actions.set(a.id, a);
    drawActions();
    redraw();
  });
  source.addEventListener('host', (event) => updateHost(JSON.parse(event.data)));
  source.addEventListener('action', (event) => {
    const a = JSON.parse(event.data);
    actions.set(a.id, a);
    drawActions();
    redraw();
  });
  source.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'connection lost';
  });
}

$('filter').addEventListener('input', redraw);
$('state-filter').addEventListener('change', redraw);
$('log-close').addEventListener('click', closeLog);
setInterval(tickUptimes, 1000);
connect();

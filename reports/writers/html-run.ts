/**
 * The top of the HTML report, what a reader needs first: what ran (command
 * line, seed, time, platform), each target with what the probe found, the
 * findings (by rule: which RFC sentence, what the target did, the message
 * bytes with their fields, the shrunk ladder with both roles drawn where
 * they belong, the command that replays it, the saved pcap and key log),
 * the score per RFC section, and every conversation.
 */
import type { Finding, FindingItem, MessageBytes, RunMeta, TargetSummary } from '../model';
import type { CoverageReport } from '../model';
import { itemFails } from '../coverage';
import { readableLadder } from '../ladder';
import { rfcLinks } from '../rfc';
import { escapeHtml as h, pct } from './escape';
import { ladderSvg } from './svg';

export const RUN_CSS = `
.runline{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#e8eaed;word-break:break-all}
.banner{font-size:15px;margin:14px 0 0;padding:10px 14px;border-radius:8px}.banner.okb{background:#e6f4ea}.banner.badb{background:#fce8e6}
.targets td{white-space:normal}.hint{color:#b06000}
#findings-table{width:100%}#findings-table td{white-space:normal}
.fx{display:grid;grid-template-columns:minmax(280px,1fr) minmax(300px,1.2fr);gap:14px;align-items:start}
.fx svg.ladder{max-width:100%;height:auto}
.hex{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;background:#f1f3f4;padding:6px 8px;border-radius:4px;white-space:pre;overflow-x:auto;margin:4px 0}
.fields{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;max-height:220px;overflow:auto;border:1px solid #e8eaed;border-radius:4px;padding:4px 8px}
.replay{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#202124;color:#e8eaed;padding:6px 8px;border-radius:4px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.sentence{border-left:3px solid #1a73e8;padding:2px 8px;margin:4px 0;color:#3c4043}
.tag{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;background:#e8eaed;margin-left:4px}.tag.new{background:#d93025;color:#fff}
.bar{display:inline-block;height:8px;background:#e8eaed;width:80px;border-radius:4px;vertical-align:middle}.bar i{display:block;height:8px;border-radius:4px;background:#1e8e3e}
`;

/** The command line of a run as a user types it. */
export function commandLine(run: RunMeta): string {
  if (run.command === 'jest') return 'jest';
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const cmd = run.command.split(' ')[0]!;
  return `tlsprop ${cmd}${run.argv.length ? ` ${run.argv.map(q).join(' ')}` : ''}`;
}

export function runHeader(r: CoverageReport): string {
  const run = r.run;
  const parts = [`started ${r.startedAt}`];
  if (run) {
    parts.push(`${(run.durationMs / 1000).toFixed(1)} s`);
    if (run.seed !== undefined) parts.push(`seed ${run.seed}`);
    parts.push(run.platform);
  }
  parts.push(`${r.tool.name} ${r.tool.version}`, r.schema);
  return `<div class="sub">${h(parts.join(' · '))}</div>${run ? `<div class="runline">$ ${h(commandLine(run))}</div>` : ''}`;
}

const failingItem = (i: FindingItem) => itemFails(i);

export function banner(r: CoverageReport): string {
  const s = r.summary;
  const b = r.baseline;
  const text = b
    ? `${b.newFailures.length} new failure(s) against the baseline ${b.file} (${b.fixed.length} fixed, ${b.unchanged.length} unchanged); ${s.failures} failure(s) in all`
    : s.failures
      ? `${s.failures} failure(s): see the findings below`
      : 'no failure';
  const bad = b ? b.newFailures.length > 0 : !s.ok;
  return `<div class="banner ${bad ? 'badb' : 'okb'}"><b class="${bad ? 'bad' : 'ok'}">${bad ? 'FAIL' : 'PASS'}</b> — ${h(text)}${r.profile ? h(`; profile${r.profile.file ? ` ${r.profile.file}` : ''}: ${r.profile.expectedFailures} expected failure(s), ${r.profile.alertMapped} alert(s) mapped${r.profile.disabled.length ? `, disabled: ${r.profile.disabled.join('; ')}` : ''}`) : ''}</div>`;
}

function targetRow(t: TargetSummary): string {
  const probed = t.probed
    ? `${t.probed.versions.map((v) => `TLS ${v}`).join(', ') || 'no version'}<br><span class="muted mono">${h(t.probed.suites.join(' '))}</span>${t.probed.groups ? `<br><span class="muted">groups</span> ${h(t.probed.groups.join(', '))}` : ''}${t.probed.schemes ? `<br><span class="muted">TLS 1.2 schemes</span> ${h(t.probed.schemes.join(', '))}` : ''}${t.probed.certificateRequested ? '<br>asks for a client certificate' : ''}`
    : '';
  const verdicts = t.verdicts.map((v) => `${v.count} ${h(v.verdict)}`).join('<br>');
  const sanity = t.sanity
    ? `${t.sanity.first ? 'ok' : '<b class="bad">FAILED</b>'} / ${t.sanity.last ? 'ok' : '<b class="bad">FAILED</b>'}`
    : '';
  const notes = [
    ...(t.error !== undefined ? [`<b class="bad">${h(t.error)}</b>`] : []),
    ...(t.hints ?? []).map((x) => `<span class="hint">hint: ${h(x)}</span>`),
    ...(t.disabled ?? []).map((d) => `<span class="muted">disabled by the profile: ${h(d)}</span>`),
  ].join('<br>');
  return (
    `<tr><td><b class="${t.ok ? 'ok' : 'bad'}">${t.ok ? 'PASS' : 'FAIL'}</b></td><td><b>${h(t.name)}</b><br><span class="muted">${h(t.role)}${t.address ? ` · ${h(t.address)}` : ''}</span></td>` +
    `<td>${probed}</td><td class="n">${t.conversations}</td><td>${verdicts}</td><td class="n${t.failing ? ' bad' : ''}">${t.failing}${t.expectedFailures ? ` <span class="muted">(+${t.expectedFailures} expected)</span>` : ''}</td><td>${sanity}</td><td>${(t.durationMs ?? 0) > 0 ? `${((t.durationMs ?? 0) / 1000).toFixed(1)} s` : ''}</td><td>${notes}</td></tr>`
  );
}

export function targetsSection(r: CoverageReport): string {
  if (!r.targets.length) return '';
  return `<section id="targets"><h2>Targets</h2><table class="targets"><thead><tr><th></th><th>target</th><th>probed</th><th class="n">conversations</th><th>verdicts</th><th class="n">failing</th><th>sanity first / last</th><th>time</th><th>notes</th></tr></thead><tbody>${r.targets.map(targetRow).join('')}</tbody></table></section>`;
}

/** Hex in rows of 16 bytes with offsets. */
export function hexRows(hex: string): string {
  const rows: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const chunk = hex.slice(i, i + 32);
    rows.push(`${(i / 2).toString(16).padStart(4, '0')}  ${chunk.match(/.{1,2}/g)!.join(' ')}`);
    if (rows.length >= 64) {
      rows.push(`… ${hex.length / 2 - 1024} more bytes`);
      break;
    }
  }
  return rows.join('\n');
}

function bytesHtml(b: MessageBytes, id: string): string {
  const fields = b.fields?.length
    ? `<div class="fields">${b.fields.map((f) => `<div><span class="muted">${h(f.path)}</span> = ${h(f.value)}</div>`).join('')}</div>`
    : '';
  return `<div id="${h(id)}"><b>${h(b.dir)} ${h(b.type)}</b> <span class="muted">message #${b.index}${b.frame !== undefined ? `, frame ${b.frame}` : ''}, ${b.hex.length / 2} bytes as on the wire</span><div class="hex">${h(hexRows(b.hex))}</div>${fields}</div>`;
}

function ladderNames(i: FindingItem): { client?: string; server?: string } {
  if (!i.role) return {};
  // the role once: "node tls server", not "node tls server (server)"
  const target = new RegExp(`\\b${i.role}\\b`).test(i.target) ? i.target : `${i.target} (${i.role})`;
  return i.role === 'server' ? { client: 'tlsprop (client)', server: target } : { client: target, server: 'tlsprop (server)' };
}

function itemRow(f: Finding, i: FindingItem, n: number, open: boolean): string {
  const rfc = rfcLinks(f.rfc)
    .map((l) => `<a href="${h(l.href)}" target="_blank" rel="noopener">${h(l.text)}</a>`)
    .join(', ');
  const strict = f.alerts[0];
  const expected = i.expectedAlerts?.length ? i.expectedAlerts.join(' or ') : strict?.alert;
  const sent = i.sent
    ? `<div><span class="muted">${i.role === 'client' ? 'tlsprop (server) sent' : 'tlsprop (client) sent'}</span> ${h(i.sent)}</div>`
    : '';
  const got =
    i.verdict === 'violation'
      ? ''
      : `<div><span class="muted">verdict</span> <b class="${failingItem(i) ? 'bad' : 'muted'}">${h(i.verdict)}</b>${i.alert ? ` · <span class="muted">sent</span> <code>${h(i.alert)}</code>` : ''}${expected ? ` · <span class="muted">RFC names</span> <code>${h(expected)}</code>` : ''}</div>`;
  const tags = [
    i.baseline === 'new'
      ? '<span class="tag new">new</span>'
      : i.baseline === 'unchanged'
        ? '<span class="tag">in baseline</span>'
        : '',
    i.profile ? `<span class="tag">${h(i.profile.status)}</span>` : '',
    i.accepted ? '<span class="tag">accepted by the run</span>' : '',
  ].join('');
  const id = `finding-${n}`;
  const evidence: string[] = [];
  if (i.replay) evidence.push(`<div><span class="muted">replay</span><div class="replay">$ ${h(i.replay)}</div></div>`);
  else if (i.seed !== undefined)
    evidence.push(
      `<div><span class="muted">replay with</span> seed <code>${h(String(i.seed))}</code>${i.path !== undefined ? `, path <code>${h(i.path)}</code>` : ''}</div>`,
    );
  if (i.saved)
    evidence.push(
      `<div><span class="muted">saved for Wireshark</span> <a href="${h(i.saved.pcap)}">${h(i.saved.pcap)}</a> · <a href="${h(i.saved.keylog)}">key log</a>${i.saved.json ? ` · <a href="${h(i.saved.json)}">transcript JSON</a>` : ''}</div>`,
    );
  if (i.bytes) evidence.push(bytesHtml(i.bytes, `${id}-bytes`));
  const ladder = i.ladder.length ? ladderSvg(readableLadder(i.ladder), ladderNames(i)) : '';
  const search =
    `${f.rule} ${f.title} ${i.target} ${i.name} ${i.verdict} ${i.alert ?? ''} ${i.sent ?? ''} ${i.detail}`.toLowerCase();
  return (
    `<tr class="finding${failingItem(i) ? '' : ' accepted'}" data-target="${h(i.target)}" data-new="${i.baseline === 'new' ? 1 : 0}" data-text="${h(search)}">` +
    `<td><code><a href="#rule-${h(f.rule)}">${h(f.rule || '(no rule)')}</a></code>${tags}<br>${h(f.title)}<br><span class="muted">${rfc}</span></td>` +
    `<td><b>${h(i.target)}</b>${i.role ? ` <span class="muted">(${h(i.role)})</span>` : ''}<br><span class="mono">${h(i.name)}</span>${i.path !== undefined ? `<br><span class="muted">path ${h(i.path)}${i.shrunkFrom !== undefined && i.shrunkFrom !== i.path ? `, shrunk from ${h(i.shrunkFrom)}` : ''}</span>` : ''}</td>` +
    `<td>${sent}${got}<div class="sentence">${h(i.detail)}</div>${i.accepted ? `<div class="muted">${h(i.accepted)}</div>` : ''}${strict ? `<div class="muted" title="${h(strict.rfc)}">${h(strict.rfc)}: “${h(strict.text)}”</div>` : ''}` +
    `<details${open ? ' open' : ''}><summary>bytes, ladder and replay</summary><div class="fx"><div>${evidence.join('')}</div><div>${ladder}</div></div></details></td></tr>`
  );
}

export function findingsSection(r: CoverageReport): string {
  // what fails the run first; what the profile or the strictness accepted after it (each group in the report's order)
  const all = r.findings.flatMap((f) => f.items.map((i) => ({ f, i })));
  const items = [...all.filter((x) => failingItem(x.i)), ...all.filter((x) => !failingItem(x.i))];
  const targets = [...new Set(items.map((x) => x.i.target))].sort();
  const failingN = items.filter((x) => failingItem(x.i)).length;
  const acceptedN = items.length - failingN;
  const out: string[] = [
    `<section id="findings"><h2>Findings (${failingN} failing${acceptedN ? `, then ${acceptedN} the run accepted` : ''})</h2>`,
  ];
  if (!items.length) {
    out.push('<p class="ok">No finding: every conversation conformed and no rule was violated.</p></section>');
    return out.join('');
  }
  out.push(
    '<div class="controls"><input type="search" id="finding-filter" placeholder="filter findings (rule, target, alert, text…)" aria-label="filter findings">',
    `<select id="finding-target" aria-label="target"><option value="">all targets</option>${targets.map((t) => `<option value="${h(t)}">${h(t)}</option>`).join('')}</select>`,
    r.baseline ? '<label><input type="checkbox" id="finding-new"> only new</label>' : '',
    '<span id="finding-count" class="muted"></span></div>',
    '<table id="findings-table"><thead><tr><th>rule (RFC)</th><th>where</th><th>what the target did</th></tr></thead><tbody>',
  );
  let n = 0;
  let first = true;
  for (const { f, i } of items) {
    const open = first && failingItem(i);
    if (open) first = false;
    out.push(itemRow(f, i, n++, open));
  }
  out.push('</tbody></table></section>');
  return out.join('\n');
}

export const FINDINGS_JS = `
(function(){
  var t=document.getElementById('findings-table');if(!t)return;
  var rows=Array.prototype.slice.call(t.tBodies[0].rows);
  var q=document.getElementById('finding-filter'),sel=document.getElementById('finding-target'),nw=document.getElementById('finding-new'),c=document.getElementById('finding-count');
  function apply(){var s=(q.value||'').toLowerCase(),g=sel.value,n=0;
    rows.forEach(function(r){var show=(!s||r.getAttribute('data-text').indexOf(s)>=0)&&(!g||r.getAttribute('data-target')===g)&&(!nw||!nw.checked||r.getAttribute('data-new')==='1');r.style.display=show?'':'none';if(show)n++;});
    c.textContent=n+' of '+rows.length+' findings';}
  q.addEventListener('input',apply);sel.addEventListener('change',apply);if(nw)nw.addEventListener('change',apply);apply();
})();
`;

export function sectionsSection(r: CoverageReport): string {
  const used = r.sections.filter((s) => s.applied > 0);
  if (!used.length) return '';
  const rows = used
    .map((s) => {
      const score = Math.round(s.score * 100);
      return `<tr${s.violated ? ' class="violated"' : ''}><td>${s.href ? `<a href="${h(s.href)}" target="_blank" rel="noopener">${h(s.section)}</a>` : h(s.section)}</td><td class="n">${s.applied}</td><td class="n">${s.passed}</td><td class="n${s.violated ? ' bad' : ''}">${s.violated}</td><td class="n">${s.inconclusive}</td><td data-v="${score}"><span class="bar"><i style="width:${score}%"></i></span> ${pct(s.passed, s.applied)}</td><td class="mono muted">${h(s.rules.join(' '))}</td></tr>`;
    })
    .join('');
  return `<section id="sections"><h2>Results by RFC section</h2><p class="muted">Per section: the rules that cite it and were applied; held: no violation; the score is held / applied.</p><details${used.some((s) => s.violated) ? ' open' : ''}><summary>${used.length} sections, ${used.filter((s) => s.violated).length} with a violated rule</summary><table><thead><tr><th>section</th><th class="n">applied</th><th class="n">held</th><th class="n">violated</th><th class="n">inconclusive</th><th>score</th><th>rules</th></tr></thead><tbody>${rows}</tbody></table></details></section>`;
}

export function conversationsSection(r: CoverageReport): string {
  if (!r.conversationList.length) return '';
  const rows = r.conversationList
    .map(
      (c) =>
        `<tr${c.verdict !== 'conforming' ? ' class="violated"' : ''}><td>${h(c.target)}</td><td class="mono">${h(c.path ?? '')}</td><td class="mono">${h(c.name)}</td><td class="${c.verdict === 'conforming' ? 'ok' : 'bad'}">${h(c.verdict)}${c.profile ? ` <span class="tag">${h(c.profile.status)}</span>` : ''}</td><td class="mono">${h(c.alert ?? '')}</td><td class="mono">${h(c.rule ?? '')}</td><td class="n">${c.ms ?? ''}</td></tr>`,
    )
    .join('');
  return `<section id="conversations"><h2>Conversations (${r.conversationList.length})</h2><details><summary>every conversation of the run</summary><table><thead><tr><th>target</th><th>path</th><th>conversation</th><th>verdict</th><th>alert</th><th>rule</th><th class="n">ms</th></tr></thead><tbody>${rows}</tbody></table></details></section>`;
}

/** The capture connections and transcript files a check read, each with its verdict counts (open when short). */
export function checkedSection(r: CoverageReport): string {
  const list = r.checkedList ?? [];
  if (!list.length) return '';
  const bad = list.filter((c) => c.violated.length).length;
  const rows = list
    .map(
      (c) =>
        `<tr${c.violated.length ? ' class="violated"' : ''}><td>${h(c.source.replace(/^.*\//, ''))}</td><td class="n">${c.connection ?? ''}</td><td class="mono">${h(c.id)}</td><td class="${c.violated.length ? 'bad' : 'ok'}">${c.violated.length ? 'violation' : 'conforms'}</td><td class="n">${c.verdicts.pass}</td><td class="n">${c.verdicts.violation}</td><td class="n">${c.verdicts.inconclusive}</td><td class="mono">${h(c.violated.join(' '))}</td></tr>`,
    )
    .join('');
  return `<section id="checked"><h2>Checked (${list.length}: ${bad} with a violation)</h2><details${list.length <= 50 ? ' open' : ''}><summary>every capture connection and transcript file checked</summary><table><thead><tr><th>file</th><th>connection</th><th>what</th><th>result</th><th>pass</th><th>violation</th><th>inconclusive</th><th>rules violated</th></tr></thead><tbody>${rows}</tbody></table></details></section>`;
}

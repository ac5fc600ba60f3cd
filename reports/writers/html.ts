/**
 * One self-contained HTML file (inline CSS and JS, nothing fetched): the
 * summary, a sortable and filterable rule table linking each rule to its
 * RFC sections, the state machines as inline SVG, configuration coverage
 * tables, the mutation score and every counterexample as a ladder with the
 * seed and path to replay it.
 */
import type { Counterexample, CoverageReport, RuleCoverage } from '../model';
import { type SecretOptions, publishable } from '../redact';
import { rfcLinks } from '../rfc';
import { escapeHtml as h, pct } from './escape';
import { COLOURS, ladderSvg, machineSvg } from './svg';
import { readableLadder } from '../ladder';
import {
  banner,
  checkedSection,
  conversationsSection,
  FINDINGS_JS,
  findingsSection,
  RUN_CSS,
  runHeader,
  sectionsSection,
  targetsSection,
} from './html-run';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#f8f9fa}
header{background:#202124;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header .sub{color:#bdc1c6;font-size:12px}
main{padding:8px 24px 40px;max-width:1400px}
section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px 18px;margin:16px 0;overflow-x:auto}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:14px;margin:12px 0 6px}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e8eaed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f4;position:sticky;top:0}th.sort{cursor:pointer;user-select:none}th.sort:after{content:" ⇅";color:#9aa0a6}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dadce0;border-radius:8px;padding:8px 14px;min-width:150px;background:#fff}
.card b{display:block;font-size:20px}.card span{color:#5f6368;font-size:12px}
.ok{color:${COLOURS.exercised}}.bad{color:${COLOURS.invalid}}.muted{color:#5f6368}
tr.violated td:first-child{border-left:4px solid ${COLOURS.invalid}}tr.unapplied{color:#80868b}
.controls{display:flex;gap:12px;align-items:center;margin-bottom:8px;flex-wrap:wrap}.controls input[type=search]{padding:4px 8px;width:260px}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
details{margin:6px 0}summary{cursor:pointer}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:24px;height:3px;vertical-align:middle;margin-right:4px}
.cx{border-top:1px solid #e8eaed;padding:8px 0}.cx pre{white-space:pre-wrap;background:#f1f3f4;padding:6px;border-radius:4px;font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:18px}
`;

const JS = `
(function(){
  var table=document.getElementById('rules');if(!table)return;
  var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
  var q=document.getElementById('rule-filter'),only=document.getElementById('only-violated'),grp=document.getElementById('rule-group'),count=document.getElementById('rule-count');
  function apply(){var s=(q.value||'').toLowerCase(),g=grp.value,n=0;
    rows.forEach(function(r){var show=(!s||r.textContent.toLowerCase().indexOf(s)>=0)&&(!only.checked||r.classList.contains('violated'))&&(!g||r.getAttribute('data-group')===g);r.style.display=show?'':'none';if(show)n++;});
    count.textContent=n+' of '+rows.length+' rules';}
  q.addEventListener('input',apply);only.addEventListener('change',apply);grp.addEventListener('change',apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){if(!th.classList.contains('sort'))return;var asc=true;
    th.addEventListener('click',function(){var num=th.classList.contains('n');
      rows.sort(function(a,b){var x=a.cells[i].getAttribute('data-v')||a.cells[i].textContent,y=b.cells[i].getAttribute('data-v')||b.cells[i].textContent;
        var c=num?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);return asc?c:-c;});
      asc=!asc;rows.forEach(function(r){body.appendChild(r);});});});
  apply();
})();
`;

function card(value: string | number, label: string, cls = ''): string {
  return `<div class="card"><b class="${cls}">${h(String(value))}</b><span>${h(label)}</span></div>`;
}

function ruleRow(r: RuleCoverage): string {
  const links = rfcLinks(r.rfc)
    .map((l) => `<a href="${h(l.href)}" target="_blank" rel="noopener">${h(l.text)}</a>`)
    .join('<br>');
  const cls = r.violated > 0 ? 'violated' : r.applied === 0 ? 'unapplied' : '';
  const first = r.violations[0];
  // strictest first; each alternative carries the RFC sentence that allows it
  const alerts = r.alerts
    .map(
      (a, i) =>
        `<span title="${h(`${a.rfc}${a.versions ? ` (TLS ${a.versions.join(', ')})` : ''}: ${a.text}`)}">${i === 0 ? `<b>${h(a.alert)}</b>` : h(a.alert)}</span>`,
    )
    .concat(r.ignorable ? [`<span class="muted" title="${h(`${r.ignorable.rfc}: ${r.ignorable.text}`)}">or ignore</span>`] : [])
    .concat(r.spans ? ['<span class="muted" title="decided across the connections of a run">across connections</span>'] : [])
    .join('<br>');
  const yes = (b: boolean): string => (b ? '<span class="ok">yes</span>' : '<span class="muted">no</span>');
  return (
    `<tr class="${cls}" data-group="${h(r.group)}"><td><code id="rule-${h(r.id)}">${h(r.id)}</code>${r.declared ? '' : ' <span class="bad">(undeclared)</span>'}</td><td>${h(r.title)}</td>` +
    `<td>${h(r.group)}</td><td>${h(r.versions.join(', '))}</td><td>${h(r.strength)}</td><td class="rfc">${links}</td><td class="mono">${alerts}</td>` +
    `<td class="n">${r.applied}</td><td class="n">${r.passed}</td><td class="n${r.violated ? ' bad' : ''}">${r.violated}</td><td class="n">${r.inconclusive}</td>` +
    `<td data-v="${r.proven ? 1 : 0}">${yes(r.proven)}</td><td data-v="${r.passedByValid ? 1 : 0}">${yes(r.passedByValid)}</td>` +
    `<td>${first ? `<details><summary>${r.violationCount} violation(s)</summary>${r.violations.map((v) => `<div class="mono">${h(v.transcript)}${v.message !== undefined ? ` #${v.message}` : ''}: ${h(v.detail)}${v.expected !== undefined ? ` <span class="muted">expected</span> ${h(v.expected)}` : ''}${v.actual !== undefined ? ` <span class="muted">actual</span> ${h(v.actual)}` : ''}</div>`).join('')}</details>` : ''}</td></tr>`
  );
}

function counterexample(c: Counterexample): string {
  const replay: string[] = [];
  if (c.seed !== undefined) replay.push(`seed <code class="seed">${h(String(c.seed))}</code>`);
  if (c.path !== undefined) replay.push(`path <code class="path">${h(c.path)}</code>`);
  const where = c.kind === 'conversation' ? `${c.target ?? ''} (${c.role ?? ''})` : (c.provenance?.kind ?? '');
  return (
    `<div class="cx" data-kind="${c.kind}"><h3>${h(c.id)} <span class="bad">${h(c.verdict)}</span> <span class="muted">${h(where)}</span></h3>` +
    `<div>${c.rules.map((r) => `<code>${h(r)}</code>`).join(' ')}${replay.length ? ` — replay with ${replay.join(', ')}` : ''}</div>` +
    (c.detail ? `<pre>${h(c.detail)}</pre>` : '') +
    (c.ladder.length
      ? ladderSvg(
          readableLadder(c.ladder),
          c.kind === 'conversation' && c.role
            ? c.role === 'server'
              ? { server: `${c.target ?? 'target'} (server)`, client: 'tlsprop' }
              : { client: `${c.target ?? 'target'} (client)`, server: 'tlsprop' }
            : {},
        )
      : '<p class="muted">no ladder recorded</p>') +
    (c.keylog?.length
      ? `<details><summary>key log (${c.keylog.length} lines)</summary><pre>${h(c.keylog.join('\n'))}</pre></details>`
      : '') +
    '</div>'
  );
}

export function toHtml(report: CoverageReport, opts: SecretOptions = {}): string {
  const r = publishable(report, opts);
  const s = r.summary;
  const groups = [...new Set(r.rules.map((x) => x.group))].sort();
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
  );
  out.push(`<title>${h(`${r.tool.name} report ${r.startedAt}`)}</title>`, `<style>${CSS}${RUN_CSS}</style></head><body>`);
  out.push(
    `<header><h1><span class="${s.ok ? 'ok' : 'bad'}">${s.ok ? 'PASS' : 'FAIL'}</span> ${h(r.tool.name)} ${h(r.tool.version)} — TLS conformance report${r.targets.length ? `: ${h(r.targets.map((t) => t.name).join(', '))}` : ''}</h1>${runHeader(r)}</header><main>`,
  );
  out.push(banner(r), targetsSection(r), findingsSection(r), checkedSection(r), sectionsSection(r));

  out.push('<section id="summary"><h2>Summary</h2><div class="cards">');
  out.push(card(`${s.rulesApplied} / ${s.rules}`, 'rules applied'));
  out.push(card(s.rulesViolated, 'rules with violations', s.rulesViolated ? 'bad' : 'ok'));
  // what the run did not do (no mutants: a capture check; no live conversation: no state machine walked) is not shown
  const mutants = r.mutation.mutants > 0;
  if (mutants) out.push(card(`${s.rulesProven} / ${s.rules}`, 'rules proven by a mutant'));
  out.push(
    card(
      s.transcripts,
      `transcripts (${s.verdicts.pass} pass, ${s.verdicts.violation} violation, ${s.verdicts.inconclusive} inconclusive verdicts)`,
    ),
  );
  if (mutants)
    out.push(
      card(
        pct(r.mutation.caught, r.mutation.mutants),
        `mutation score (${r.mutation.caught}/${r.mutation.mutants}; ${r.mutation.missed} missed)`,
        r.mutation.missed ? 'bad' : 'ok',
      ),
    );
  if (s.conversations > 0)
    out.push(
      card(`${s.conversationsFailing} / ${s.conversations}`, 'failing conversations', s.conversationsFailing ? 'bad' : 'ok'),
    );
  if (s.transitionsExercised > 0 || s.conversations > 0)
    out.push(card(`${s.transitionsExercised} / ${s.transitionsTotal}`, 'transitions exercised'));
  out.push(card(s.counterexamples, 'counterexamples', s.counterexamples ? 'bad' : 'ok'));
  out.push('</div></section>');

  out.push('<section id="rules-section"><h2>Rules</h2><div class="controls">');
  out.push('<input type="search" id="rule-filter" placeholder="filter rules (id, title, RFC, …)" aria-label="filter rules">');
  out.push(
    `<select id="rule-group" aria-label="group"><option value="">all groups</option>${groups.map((g) => `<option value="${h(g)}">${h(g || '(none)')}</option>`).join('')}</select>`,
  );
  out.push(
    '<label><input type="checkbox" id="only-violated"> only violated</label><span id="rule-count" class="muted"></span></div>',
  );
  out.push('<table id="rules"><thead><tr>');
  const heads: Array<[string, boolean]> = [
    ['rule', false],
    ['title', false],
    ['group', false],
    ['versions', false],
    ['strength', false],
    ['RFC', false],
    ['alerts', false],
    ['applied', true],
    ['passed', true],
    ['violated', true],
    ['inconclusive', true],
    ['proven', true],
    ['passed by valid', true],
    ['violations', false],
  ];
  out.push(heads.map(([t, n]) => `<th class="sort${n ? ' n' : ''}">${h(t)}</th>`).join(''));
  out.push(`</tr></thead><tbody>${r.rules.map(ruleRow).join('\n')}</tbody></table></section>`);

  out.push('<section id="mutation"><h2>Mutation score</h2>');
  if (r.mutation.operators.length) {
    out.push(
      '<table><thead><tr><th>operator</th><th class="n">mutants</th><th class="n">caught (declared rule)</th><th class="n">caught otherwise</th><th class="n">missed</th><th class="n">score</th></tr></thead><tbody>',
    );
    for (const o of r.mutation.operators)
      out.push(
        `<tr><td><code>${h(o.operator)}</code></td><td class="n">${o.mutants}</td><td class="n">${o.caught}</td><td class="n">${o.caughtOtherwise}</td><td class="n${o.missed ? ' bad' : ''}">${o.missed}</td><td class="n">${pct(o.caught, o.mutants)}</td></tr>`,
      );
    out.push('</tbody></table>');
    const list = (title: string, ms: typeof r.mutation.missedMutants): void => {
      if (!ms.length) return;
      out.push(`<h3>${h(title)}</h3><ul>`);
      for (const m of ms)
        out.push(
          `<li><code>${h(m.operator)}</code> ${h(m.id ?? '')} declared [${h(m.declaredRules.join(', '))}]${m.tripped.length ? ` tripped [${h(m.tripped.join(', '))}]` : ''}${m.seed !== undefined ? ` seed <code>${m.seed}</code>` : ''}${m.path !== undefined ? ` path <code>${h(m.path)}</code>` : ''}</li>`,
        );
      out.push('</ul>');
    };
    list('Missed mutants', r.mutation.missedMutants);
    list('Caught by another rule', r.mutation.otherwiseMutants);
  } else out.push('<p class="muted">no mutants in this run</p>');
  out.push('</section>');

  out.push('<section id="state-machines"><h2>State machines</h2>');
  out.push(
    `<div class="legend"><span><i style="background:${COLOURS.exercised}"></i>exercised</span><span><i style="background:${COLOURS.unexercised}"></i>never exercised</span><span><i style="background:${COLOURS.invalid}"></i>invalid transition tried</span></div>`,
  );
  if (!r.stateMachines.length) out.push('<p class="muted">no state machine tables in this run</p>');
  for (const m of r.stateMachines) {
    out.push(
      `<h3 id="machine-${h(m.machine)}">${h(m.machine)}: ${m.exercised} / ${m.total} transitions exercised (${pct(m.exercised, m.total)}), ${m.invalidTried.length} invalid tried</h3>`,
    );
    out.push(machineSvg(m));
    if (m.unexercised.length) {
      out.push(
        `<details><summary>${m.unexercised.length} unexercised</summary><ul>${m.unexercised.map((t) => `<li class="mono">${h(t.from)} —${h(t.via)}→ ${h(t.to)}</li>`).join('')}</ul></details>`,
      );
    }
  }
  out.push('</section>');

  out.push(
    `<section id="configuration"><h2>Configuration coverage</h2><p>${r.configuration.transcripts} transcripts with a configuration.</p><div class="grid">`,
  );
  for (const d of r.configuration.dimensions) {
    out.push(
      `<div><h3>${h(d.dimension)} (${d.distinct} distinct)</h3><table><thead><tr><th>value</th><th class="n">count</th></tr></thead><tbody>`,
    );
    for (const v of d.values) out.push(`<tr><td class="mono">${h(v.value)}</td><td class="n">${v.count}</td></tr>`);
    for (const v of d.missing) out.push(`<tr><td class="mono bad">${h(v)}</td><td class="n bad">0</td></tr>`);
    out.push('</tbody></table></div>');
  }
  out.push('</div></section>');

  out.push(`<section id="counterexamples"><h2>Counterexamples (${r.counterexamples.length})</h2>`);
  if (!r.counterexamples.length) out.push('<p class="ok">none</p>');
  for (const c of r.counterexamples) out.push(counterexample(c));
  out.push('</section>');

  out.push(conversationsSection(r));
  out.push(`</main><script>${JS}${FINDINGS_JS}</script></body></html>`);
  return `${out.join('\n')}\n`;
}

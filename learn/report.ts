/**
 * The learn report (`--report DIR`): `learned.json` (the machine, the run's
 * figures, the differences), `learned.dot` (Graphviz, differences in red),
 * and `report.html`, one self-contained page: the figures, every difference
 * with its rule, the shortest word as a ladder and its replay files, the
 * latitudes the target took, the non-determinism seen, and the learned
 * machine drawn beside the RFC machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { escapeHtml as h } from '../reports/writers/escape';
import { ladderSvg } from '../reports/writers/svg';
import { machineFor } from '../oracles/statemachine';
import { CLOSED, INPUT_INFO, type InputSymbol, type Output, tokensOf } from './alphabet';
import type { Difference, RfcDiff } from './diff';
import { type LearnResult, learnedJson } from './learn';
import { type Mealy, toDot } from './mealy';
import { Reference } from './reference';
import type { SavedReplay } from './replay';
import { type DrawnEdge, EDGE_COLOURS, machineDrawing } from './svg';

/** A difference with the files of its replay, when it was replayed. */
export interface ReportedDifference extends Difference {
  replay?: SavedReplay & { reproduced: boolean; outputs: Output[] };
}

export interface LearnReport {
  result: LearnResult;
  diff: RfcDiff;
  differences: ReportedDifference[];
}

/** The closed sink: a state whose every transition stays and answers `closed`. */
export function sinkOf(m: Mealy<InputSymbol>): number | undefined {
  for (let q = 0; q < m.size; q++) if (m.next[q]!.every((t) => t === q) && m.out[q]!.every((o) => o === CLOSED)) return q;
  return undefined;
}

const stateName = (q: number, sink: number | undefined) => (q === sink ? 'closed' : `s${q}`);

function learnedEdges(r: LearnReport): { states: string[]; edges: DrawnEdge[] } {
  const m = r.result.machine;
  const sink = sinkOf(m);
  const verdict = new Map(r.diff.judged.map((j) => [`${j.state}|${j.input}`, j.verdict]));
  const edges: DrawnEdge[] = [];
  for (let q = 0; q < m.size; q++) {
    if (q === sink) continue;
    let rejected = 0;
    m.inputs.forEach((a, i) => {
      const v = verdict.get(`${q}|${a}`);
      const kind = v === 'match' ? 'match' : v === 'difference' ? 'difference' : v === 'freedom' ? 'freedom' : 'unjudged';
      // rejections into the closed sink that the RFC machine requires are counted, not drawn (they would hide the rest)
      if (m.next[q]![i] === sink && kind === 'match') {
        rejected++;
        return;
      }
      edges.push({ from: stateName(q, sink), to: stateName(m.next[q]![i]!, sink), label: `${a} / ${m.out[q]![i]}`, kind });
    });
    if (rejected && sink !== undefined)
      edges.push({
        from: stateName(q, sink),
        to: stateName(q, sink),
        label: `${rejected} input(s) rejected as the RFC requires`,
        kind: 'match',
      });
  }
  const states = Array.from({ length: m.size }, (_, q) => stateName(q, sink));
  return { states, edges };
}

function rfcEdges(r: LearnReport, clientAuth: boolean): { states: string[]; edges: DrawnEdge[]; initial: string } {
  const ref = new Reference(r.result.version, r.result.role, clientAuth);
  const machine = machineFor(r.result.version);
  const edges: DrawnEdge[] = [];
  const states = new Set<string>([machine.initial]);
  const mark = new Map<string, 'taken' | 'missing'>();
  for (const e of r.diff.rfcEdges) if (e.kind !== 'extra') mark.set(`${e.from}|${e.to}|${e.via}`, e.kind);
  // the part of the table the facts of our side leave reachable (no resumption, no early data, ...)
  const live = new Set<string>([machine.initial]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const tr of machine.transitions)
      if (live.has(tr.from) && !live.has(tr.to) && tr.when?.(ref.facts) !== false) {
        live.add(tr.to);
        grew = true;
      }
  }
  for (const tr of machine.transitions) {
    if (tr.when?.(ref.facts) === false || !live.has(tr.from)) continue;
    states.add(tr.from);
    states.add(tr.to);
    const via = tr.dir ? `${tr.dir} ${tr.type}` : 'ε';
    const k = mark.get(`${tr.from}|${tr.to}|${via}`);
    edges.push({
      from: tr.from,
      to: tr.to,
      label: via,
      kind: k === 'taken' ? 'match' : k === 'missing' ? 'missing' : 'unjudged',
    });
  }
  for (const e of r.diff.rfcEdges) if (e.kind === 'extra') edges.push({ from: e.from, to: e.to, label: e.via, kind: 'extra' });
  return { states: [...states], edges, initial: machine.initial };
}

/** `C->S: client_hello` ladder lines of a word and its outputs. */
export function ladderLines(role: LearnResult['role'], word: readonly InputSymbol[], outputs: readonly Output[]): string[] {
  const ours = role === 'server' ? 'C->S' : 'S->C';
  const theirs = role === 'server' ? 'S->C' : 'C->S';
  const lines: string[] = [];
  word.forEach((w, i) => {
    lines.push(`${ours}: ${w}`);
    const o = outputs[i] ?? '-';
    const toks = tokensOf(o).filter((t) => t !== CLOSED);
    if (toks.length) lines.push(`${theirs}: ${toks.join(', ')}`);
    if (tokensOf(o).includes(CLOSED)) lines.push('(connection closed)');
    else if (!toks.length) lines.push('(no answer)');
  });
  return lines;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#f8f9fa}
header{background:#202124;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header .sub{color:#bdc1c6;font-size:12px}
main{padding:8px 24px 40px;max-width:1600px}
section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px 18px;margin:16px 0;overflow-x:auto}
h2{font-size:17px;margin:4px 0 10px}table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e8eaed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f4}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dadce0;border-radius:8px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#5f6368;font-size:12px}
.bad{color:#d93025}.ok{color:#1f8a3b}.grid{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:24px;height:3px;vertical-align:middle;margin-right:4px}
details{margin:4px 0}summary{cursor:pointer}
`;

function card(value: string | number, label: string): string {
  return `<div class="card"><b>${h(String(value))}</b><span>${h(label)}</span></div>`;
}

export function reportHtml(r: LearnReport, opts: { clientAuth: boolean; dir: string }): string {
  const res = r.result;
  const s = res.stats;
  const learned = learnedEdges(r);
  const rfc = rfcEdges(r, opts.clientAuth);
  const rel = (p: string) => h(relative(opts.dir, p));
  const diffRows = r.differences
    .map((d, i) => {
      const files = d.replay
        ? `<a href="${rel(d.replay.pcap)}">pcap</a> · <a href="${rel(d.replay.keylog)}">key log</a> · <a href="${rel(d.replay.json)}">transcript</a>${d.replay.reproduced ? '' : ' <span class="bad">(replay answered differently)</span>'}`
        : '';
      return `<tr id="d${i + 1}"><td>${i + 1}</td><td><b class="bad">${h(d.kind)}</b></td><td class="mono">s${d.state} — ${h(d.input)} / ${h(d.output)}</td><td class="mono">${h(d.rules.join(', ') || '–')}</td><td>${h(d.detail)}<br><span class="muted">expected: ${h(d.expected)}</span>
<details><summary class="mono">${h(d.word.join(' '))}</summary>${ladderSvg(ladderLines(res.role, d.word, d.outputs), res.role === 'server' ? { client: 'tlsprop', server: 'target' } : { client: 'target', server: 'tlsprop' })}</details>${files}</td></tr>`;
    })
    .join('\n');
  const freedomRows = r.diff.freedoms
    .map(
      (f) =>
        `<tr><td class="mono">s${f.state} — ${h(f.input)} / ${h(f.output)}</td><td>${h(f.freedom.id)}</td><td>${h(f.freedom.rfc)}: “${h(f.freedom.text)}”</td><td class="mono">${h(f.word.join(' '))}</td></tr>`,
    )
    .join('\n');
  const ndRows = res.nondeterminism
    .map(
      (e) =>
        `<tr><td class="mono">${h(e.word.join(' '))}</td><td class="mono">${e.answers.map((a) => `${h(a.outputs.at(-1) ?? '')} ×${a.count}`).join('<br>')}</td><td class="mono">${h(e.kept.at(-1) ?? '')}${e.unclear ? ' <span class="bad">(no clear majority)</span>' : ''}</td></tr>`,
    )
    .join('\n');
  const legend = Object.entries(EDGE_COLOURS)
    .map(([k, c]) => `<span><i style="background:${c}"></i>${h(k)}</span>`)
    .join('');
  const inputs = res.inputs.map((i) => `<tr><td class="mono">${h(i)}</td><td>${h(INPUT_INFO[i].doc)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tlsprop learn: ${h(res.target)}</title><style>${CSS}</style></head>
<body><header><h1>Learned state machine of ${h(res.target)}</h1><div class="sub">TLS ${h(res.version)} ${h(res.role)} · ${h(new Date().toISOString())}</div></header>
<main>
<section><h2>Run</h2><div class="cards">
${card(s.states, 'states')}${card(r.differences.length, 'differences from the RFC machine')}${card(s.membershipQueries, 'membership queries (resets)')}${card(s.equivalenceQueries, 'equivalence queries')}${card(s.equivalenceTests, 'equivalence test words')}${card(`${s.wallSeconds.toFixed(1)} s`, 'wall time')}${card(s.queriesPerSecond.toFixed(1), 'queries / s')}${card(s.workers, 'parallel connections')}${card(`${s.silenceMs} ms`, 'silence window (measured)')}
</div>
<p>${res.complete ? '<span class="ok">The equivalence oracle (Wp-method and random walks) found no counterexample to the final hypothesis.</span>' : '<span class="bad">Stopped by the budget: the machine is the last hypothesis, not checked to the end.</span>'}
${res.deterministic ? ' The target answered deterministically.' : ` <span class="bad">The target was not deterministic ${res.nondeterminism.length} time(s) (majority kept, listed below).</span>`}</p>
<details><summary>Input alphabet (${res.inputs.length})</summary><table>${inputs}</table></details></section>
<section><h2>Differences from the RFC machine (${r.differences.length})</h2>
${r.differences.length ? `<table><tr><th>#</th><th>kind</th><th>transition</th><th>rule</th><th>what and the shortest word</th></tr>${diffRows}</table>` : '<p class="ok">None: every judged transition matches the RFC machine.</p>'}
</section>
${r.diff.freedoms.length ? `<section><h2>Latitudes the RFCs allow, taken by the target (${r.diff.freedoms.length})</h2><table><tr><th>transition</th><th>latitude</th><th>RFC</th><th>word</th></tr>${freedomRows}</table></section>` : ''}
${res.nondeterminism.length ? `<section><h2>Non-determinism</h2><table><tr><th>word</th><th>answers (last input)</th><th>kept</th></tr>${ndRows}</table></section>` : ''}
<section><h2>Learned machine beside the RFC machine</h2><div class="legend">${legend}</div>
<div class="grid"><div><h3>learned (${s.states} states)</h3>${machineDrawing('learned', 's0', learned.states, learned.edges)}</div>
<div><h3>RFC machine (${h(machineFor(res.version).name)})</h3>${machineDrawing('rfc', rfc.initial, rfc.states, rfc.edges)}</div></div>
<p>Files: <a href="learned.json">learned.json</a> · <a href="learned.dot">learned.dot</a></p></section>
</main></body></html>
`;
}

/** Write learned.json, learned.dot and report.html to `dir`; returns the paths. */
export function writeLearnReport(dir: string, r: LearnReport, clientAuth: boolean): { json: string; dot: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'learned.json');
  const dot = join(dir, 'learned.dot');
  const html = join(dir, 'report.html');
  const verdict = new Map(r.diff.judged.map((j) => [`${j.state}|${j.input}`, j.verdict]));
  writeFileSync(
    json,
    `${JSON.stringify(
      {
        ...learnedJson(r.result),
        nondeterminism: r.result.nondeterminism,
        differences: r.differences,
        freedoms: r.diff.freedoms,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    dot,
    toDot(r.result.machine, {
      name: `${r.result.target} TLS ${r.result.version} ${r.result.role}`,
      edgeColour: (q, a) => {
        const v = verdict.get(`${q}|${a}`);
        return v === 'difference' ? EDGE_COLOURS.difference : v === 'freedom' ? EDGE_COLOURS.freedom : undefined;
      },
    }),
  );
  writeFileSync(html, reportHtml(r, { clientAuth, dir }));
  return { json, dot, html };
}

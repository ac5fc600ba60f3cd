import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCoverage, machinesFromOracles } from './coverage';
import type { CoverageReport } from './model';
import { mergeReportFiles, readReportFile, renderReports } from './render';
import schemaJson from './schema/report-v3.schema.json';
import { type Schema, validate } from './schema/validate';
import { sampleInput, sampleShards } from './testing/sample';
import { escapeXml } from './writers/escape';
import { toHtml } from './writers/html';
import { parseReport, toJson } from './writers/json';
import { toJunit } from './writers/junit';
import { toMarkdown } from './writers/markdown';
import { ladderSvg, machineSvg } from './writers/svg';

const schema = schemaJson as unknown as Schema;
const report = (): CoverageReport => buildCoverage(sampleInput());

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A tiny strict XML parser: fails on unbalanced tags, raw `<` or `&` outside entities, unquoted attributes. */
function parseXml(s: string): XmlElement {
  const decode = (t: string): string => {
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(t))
      throw new Error(`bad entity in ${JSON.stringify(t.slice(0, 60))}`);
    return t.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
  };
  let i = 0;
  s = s.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (text.includes('>')) throw new Error('raw > in text');
    stack[stack.length - 1]!.text += decode(text);
    if (lt < 0) break;
    const gt = s.indexOf('>', lt);
    const tag = s.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const top = stack.pop()!;
      if (top.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${top.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const m = /^([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*\/?$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}>`);
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    const el: XmlElement = { name: m[1]!, attrs, children: [], text: '' };
    stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('not one root element');
  return root.children[0]!;
}
const all = (e: XmlElement, name: string): XmlElement[] => [
  ...(e.name === name ? [e] : []),
  ...e.children.flatMap((c) => all(c, name)),
];

describe('JSON writer and schema', () => {
  it('writes a versioned report that validates against the checked-in schema', () => {
    const text = toJson(report());
    const parsed = parseReport(text);
    expect(parsed.schema).toBe('tlsprop-report/3');
    expect(validate(parsed, schema)).toEqual([]);
    expect(
      validate(
        JSON.parse(toJson(buildCoverage({ ...sampleInput(), mutants: [], conversations: [], stateMachines: [] }))),
        schema,
      ),
    ).toEqual([]);
  });
  it('the validator rejects broken reports', () => {
    const bad = JSON.parse(toJson(report()));
    bad.schema = 'tlsprop-report/1';
    bad.rules[0].applied = -1;
    bad.rules[1].extra = 1;
    delete bad.summary.ok;
    bad.stateMachines[0].machine = 't14-client';
    const errors = validate(bad, schema);
    expect(errors).toEqual(
      expect.arrayContaining([
        '/schema: expected "tlsprop-report/3"',
        '/rules/0/applied: -1 < 0',
        '/rules/1/extra: not allowed',
        '/summary/ok: required',
        '/stateMachines/0/machine: "t14-client" not in enum',
      ]),
    );
    expect(() => parseReport('{"schema":"x"}')).toThrow(/tlsprop-report\/3/);
  });
});

describe('JUnit writer', () => {
  const xml = toJunit(report());
  const root = parseXml(xml);

  it('is well-formed with one testcase per conversation (by target), transcript, rule and operator', () => {
    expect(root.name).toBe('testsuites');
    const suites = all(root, 'testsuite');
    expect(suites.map((s) => [s.attrs['name'], s.attrs['tests'], s.attrs['failures']])).toEqual([
      ['gnutls', '1', '1'],
      ['openssl', '2', '1'],
      // the violating generated transcript, and the conforming capture connection (checked ones are listed conforming too)
      ['transcripts', '2', '1'],
      ['rules', '4', '1'],
      ['mutation', '2', '1'],
    ]);
    expect(root.attrs['tests']).toBe('11');
    expect(root.attrs['failures']).toBe('5');
    // conforming conversations are testcases too, each with a time; classnames carry no dots of their own
    const openssl = suites[1]!.children;
    expect(openssl.map((c) => [c.attrs['classname'], c.attrs['name'], c.children.length])).toEqual([
      ['tlsprop.openssl', 'accepts-ok', 0],
      ['tlsprop.openssl', '7:0 finished-before-cke <x>', 1],
    ]);
    for (const c of all(root, 'testcase')) expect(c.attrs['time']).toMatch(/^\d+\.\d{3}$/);
    const rules = suites[3]!.children;
    expect(rules.map((c) => c.attrs['name']!.split(':')[0])).toEqual([
      'rec.plaintext-max-len',
      't12.neg.suite-offered',
      't13.fin.verify-data',
      't13.order.server-first',
    ]);
  });
  it('carries the violations in <failure>, escaped and read back intact', () => {
    const failing = all(root, 'testcase').find((c) => c.attrs['name']!.startsWith('rec.plaintext-max-len'))!;
    const failure = failing.children.find((c) => c.name === 'failure')!;
    expect(failure.text).toContain('t2 #3: Record 3 is 16385 bytes: <too & "long"> (expected <= 16384, actual 16385)');
    expect(xml).toContain('&lt;too &amp; &quot;long&quot;&gt;');
    const conv = all(root, 'testcase').find((c) => c.attrs['name']!.includes('finished-before-cke <x>'))!;
    expect(conv.children[0]!.attrs['message']).toBe('accepted-invalid t13.order.server-first');
    expect(conv.children[0]!.text).toContain('seed 31');
    expect(conv.children[0]!.text).toContain('path 7:0');
    const missed = all(root, 'testcase').find((c) => c.attrs['name'] === 'swap-suite')!;
    expect(missed.children[0]!.text).toContain('m3 declared [t12.neg.suite-offered] seed 23 path 4:4');
  });
  it('escapes control characters and quotes in attributes', () => {
    expect(escapeXml('a\u0001b<"\'&>')).toBe('a\uFFFDb&lt;&quot;&apos;&amp;&gt;');
    const input = sampleInput();
    input.rules[0]!.title = 'A "quoted" <title> & \u0007bell';
    expect(() => parseXml(toJunit(buildCoverage(input)))).not.toThrow();
    expect(() => parseXml('<a b="<">x</a>')).toThrow();
    expect(() => parseXml('<a>x & y</a>')).toThrow();
  });
});

describe('Markdown writer', () => {
  const md = toMarkdown(report());
  it('has totals, the mutation score table, violated rules and unexercised transitions', () => {
    expect(md).toContain('| rules with violations | 1 |');
    expect(md).toContain('| transitions exercised | 4 / 10 (40.0%) |');
    expect(md).toContain('| drop-message | 2 | 1 | 1 | 0 | 50.0% |');
    expect(md).toContain('| **total** | 4 | 2 | 1 | 1 | 50.0% |');
    expect(md).toMatch(
      /\| `rec\.plaintext-max-len` \| 1 \| 1 \| record_overflow \| t2: Record 3 is 16385 bytes: &lt;too & "long"&gt; \|/,
    );
    expect(md).toContain('- `WAIT_CH2` --send client_hello--> `WAIT_SH`');
    expect(md).toContain('**t12-server**: 1 / 3 exercised');
    expect(md).toContain(
      '| openssl server finished-before-cke &lt;x&gt; | accepted-invalid | t13.order.server-first | seed 31, path 7:0 |',
    );
    expect(toMarkdown(report(), { topUnexercised: 1 })).toContain('… and 3 more');
  });
});

describe('HTML writer', () => {
  const html = toHtml(report());
  it('is self-contained: no external scripts, styles or images', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    expect(html).not.toMatch(/<img /);
    expect(html).not.toMatch(/url\(\s*["']?https?:/);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(0);
    // RFC links, and anchors inside the page (a finding's rule)
    for (const h of hrefs)
      expect(h).toMatch(/^(https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d+(#(section|appendix)-[\w.]+)?|#rule-[\w.-]*)$/);
  });
  it('has a sortable, filterable rule table with RFC links', () => {
    expect(html).toContain('id="rule-filter"');
    expect(html).toContain('th class="sort n">applied');
    expect((html.match(/<tr class="[^"]*" data-group=/g) ?? []).length).toBe(4);
    expect(html).toContain('href="https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3"');
    expect(html).toContain('href="https://www.rfc-editor.org/rfc/rfc8446#appendix-A.1"');
    expect(html).toContain('<tr class="violated" data-group="record">');
    expect(html).toContain('Record 3 is 16385 bytes: &lt;too &amp; &quot;long&quot;&gt;');
    expect(html).not.toContain('<too & "long">');
  });
  it('prints the structured alerts: the strictest first, alternatives and "or ignore" with their RFC sentence', () => {
    expect(html).toContain('th class="sort">alerts');
    const input = sampleInput();
    const rule = input.rules.find((x) => x.id === 'rec.plaintext-max-len')!;
    rule.alerts = [
      ...rule.alerts,
      { alert: 'decode_error', rfc: 'RFC 8446 §6.2', text: 'A message could not be decoded <because>.', versions: ['1.3'] },
    ];
    rule.ignorable = { rfc: 'RFC 8446 §5', text: 'An implementation may receive an unencrypted record.' };
    const page = toHtml(buildCoverage(input));
    expect(page).toContain(
      '<b>record_overflow</b></span><br><span title="RFC 8446 §6.2 (TLS 1.3): A message could not be decoded &lt;because&gt;.">decode_error</span>',
    );
    expect(page).toContain('title="RFC 8446 §5: An implementation may receive an unencrypted record.">or ignore</span>');
    expect(toMarkdown(buildCoverage(input))).toContain('| record_overflow, or decode_error (RFC 8446 §6.2) |');
  });
  it('draws one SVG per state machine with exercised transitions marked', () => {
    const svgs = [...html.matchAll(/<svg [^>]*class="machine" data-machine="([^"]+)"/g)].map((m) => m[1]);
    expect(svgs).toEqual(['t12-server', 't13-client']);
    const t13 = html.slice(html.indexOf('data-machine="t13-client"'));
    expect(t13).toMatch(
      /class="tr exercised"[^>]*data-from="START" data-to="WAIT_SH"><title>START → WAIT_SH: send client_hello \(×2\)/,
    );
    expect(t13).toMatch(/class="tr unexercised"[^>]*data-from="WAIT_FIN" data-to="CONNECTED"/);
    expect(html).toMatch(/class="tr invalid"[^>]*data-from="START" data-to="CONNECTED"/);
    const svg = machineSvg(report().stateMachines[1]!);
    expect((svg.match(/class="tr exercised"/g) ?? []).length).toBe(3);
    expect((svg.match(/class="state"/g) ?? []).length).toBe(6);
    expect(() => parseXml(svg)).not.toThrow();
  });
  it('draws counterexamples as ladders with seed and path', () => {
    // each counterexample, and each finding of a conversation
    expect((html.match(/<svg [^>]*class="ladder"/g) ?? []).length).toBe(6);
    expect(html).toContain('seed <code class="seed">31</code>, path <code class="path">7:0</code>');
    expect(html).toContain('seed <code class="seed">12</code>, path <code class="path">3:2:1</code>');
    const ladder = ladderSvg(['C->S client_hello', 'S->C alert <bad>', 'timeout']);
    expect(() => parseXml(ladder)).not.toThrow();
    expect(ladder).toContain('data-dir="C-&gt;S"');
    expect(ladder).toContain('data-dir="S-&gt;C"');
    expect(ladder).toContain('alert &lt;bad&gt;');
    expect(ladder).toContain('class="note"');
  });
  it('shows configuration coverage with missing values', () => {
    expect(html).toContain('<h3>clientAuth (2 distinct)</h3>');
    expect(html).toContain('<td class="mono bad">requested-empty</td>');
  });
});

describe('renderReports and mergeReportFiles', () => {
  it('writes the chosen formats to a temp dir and merges shard files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-report-'));
    const paths = renderReports(report(), { outDir: dir });
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['report.json', 'junit.xml', 'summary.md', 'index.html']);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const only = renderReports(report(), { outDir: join(dir, 'x'), formats: ['html', 'json'], suffix: 'shard-1-of-2' });
    expect(only.map((p) => p.slice(dir.length + 3))).toEqual(['report.shard-1-of-2.json', 'index.shard-1-of-2.html']);
    const [a, b] = sampleShards();
    const pa = join(dir, 'a.json');
    const pb = join(dir, 'b.json');
    writeFileSync(pa, toJson(buildCoverage(a), { includeSecrets: true }));
    writeFileSync(pb, toJson(buildCoverage(b), { includeSecrets: true }));
    expect(readReportFile(join(dir, 'x', 'report.shard-1-of-2.json')).summary.transcripts).toBe(3);
    expect(mergeReportFiles([pa, pb])).toEqual(buildCoverage(sampleInput()));
    writeFileSync(join(dir, 'bad.json'), '{"schema":"nope"}');
    expect(() => mergeReportFiles([pa, join(dir, 'bad.json')])).toThrow(/bad\.json/);
  });
});

describe('state machine layout', () => {
  it('keeps every box apart and every path inside the drawing, for the real machines', () => {
    for (const table of machinesFromOracles()) {
      const input = sampleInput();
      input.stateMachines = [table];
      const mc = buildCoverage(input).stateMachines[0]!;
      const svg = machineSvg(mc);
      const [w, h] = [Number(/ width="(\d+(?:\.\d+)?)"/.exec(svg)![1]), Number(/ height="(\d+(?:\.\d+)?)"/.exec(svg)![1])];
      const boxes = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map(
        (m) => m.slice(1, 5).map(Number) as [number, number, number, number],
      );
      expect(boxes.length).toBe(new Set([...mc.transitions, ...mc.invalidTried].flatMap((t) => [t.from, t.to])).size);
      for (const [i, [x1, y1, bw, bh]] of boxes.entries()) {
        expect(x1 >= 0 && y1 >= 0 && x1 + bw <= w && y1 + bh <= h).toBe(true);
        for (const [x2, y2] of boxes.slice(i + 1)) expect(Math.abs(x1 - x2) >= bw || Math.abs(y1 - y2) >= bh).toBe(true);
      }
      for (const m of svg.matchAll(/ d="([^"]+)"/g)) {
        for (const n of m[1]!.match(/-?\d+(?:\.\d+)?/g)!.map(Number)) expect(n >= 0 && n <= Math.max(w, h)).toBe(true);
      }
      expect(() => parseXml(svg)).not.toThrow();
    }
  });
});

describe('HTML rule table script', () => {
  interface FakeRow {
    textContent: string;
    group: string;
    violated: boolean;
    style: { display: string };
    cells: Array<{ textContent: string; getAttribute(n: string): string | null }>;
  }
  it('filters by text, group and violation, and sorts by a numeric column', () => {
    const html = toHtml(report());
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const listeners: Record<string, Array<() => void>> = {};
    const on = (id: string) => (_t: string, f: () => void) => {
      listeners[id] = [...(listeners[id] ?? []), f];
    };
    const rows: FakeRow[] = [...html.matchAll(/<tr class="([^"]*)" data-group="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) => {
      const cells = [...m[3]!.matchAll(/<td[^>]*?(?: data-v="([^"]*)")?>([\s\S]*?)<\/td>/g)].map((c) => ({
        textContent: c[2]!.replace(/<[^>]+>/g, ''),
        getAttribute: () => c[1] ?? null,
      }));
      return {
        textContent: m[3]!.replace(/<[^>]+>/g, ''),
        group: m[2]!,
        violated: m[1] === 'violated',
        style: { display: '' },
        cells,
      };
    });
    const fakeRow = (r: FakeRow) => ({
      ...r,
      classList: { contains: (c: string) => c === 'violated' && r.violated },
      getAttribute: () => r.group,
    });
    const wrapped = rows.map(fakeRow);
    const order: string[] = [];
    const body = { rows: wrapped, appendChild: (r: { cells: FakeRow['cells'] }) => order.push(r.cells[0]!.textContent) };
    const heads = [...html.matchAll(/<th class="([^"]*)">/g)].map((m, i) => ({
      classList: { contains: (c: string) => m[1]!.split(' ').includes(c) },
      addEventListener: on(`th${i}`),
    }));
    const els: Record<string, Record<string, unknown>> = {
      rules: { tBodies: [body], tHead: { rows: [{ cells: heads }] } },
      'rule-filter': { value: '', addEventListener: on('q') },
      'only-violated': { checked: false, addEventListener: on('only') },
      'rule-group': { value: '', addEventListener: on('grp') },
      'rule-count': { textContent: '' },
    };
    const doc = { getElementById: (id: string) => els[id] };
    new Function('document', script)(doc);
    const shown = () => wrapped.filter((r) => r.style.display !== 'none').map((r) => r.cells[0]!.textContent);
    expect(els['rule-count']!['textContent']).toBe('4 of 4 rules');
    els['rule-filter']!['value'] = 'SERVERHELLO';
    listeners['q']![0]!();
    expect(shown()).toEqual(['t13.order.server-first']);
    els['rule-filter']!['value'] = '';
    els['only-violated']!['checked'] = true;
    listeners['only']![0]!();
    expect(shown()).toEqual(['rec.plaintext-max-len']);
    els['only-violated']!['checked'] = false;
    els['rule-group']!['value'] = 'negotiation';
    listeners['grp']![0]!();
    expect(shown()).toEqual(['t12.neg.suite-offered']);
    expect(els['rule-count']!['textContent']).toBe('1 of 4 rules');
    listeners['th7']![0]!(); // applied, ascending
    expect(order.slice(-4)).toEqual([
      't12.neg.suite-offered',
      't13.fin.verify-data',
      't13.order.server-first',
      'rec.plaintext-max-len',
    ]);
    listeners['th7']![0]!(); // descending
    expect(order.slice(-4)[0]).toBe('rec.plaintext-max-len');
  });
});

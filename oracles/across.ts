/**
 * The run-level evaluator: the rules whose evidence spans several transcripts (rule.ts `across`), over the
 * connections of one run (the connections of a capture or the transcript files `tlsprop check` reads; the
 * conversations of one `tlsprop fuzz` run against one target). Each connection is added in order under the label the
 * run names it by; a value of a party that an earlier connection already sent is a violation naming the party, both
 * connections, the field and the message of the later one. At the end each rule says pass (values seen, none
 * repeated) or not-applicable (no connection had one). A value sent twice within one connection is not this
 * evaluator's question (the transcript rules judge one connection: ecdh.independent-shares).
 *
 * A byte-identical ClientHello in two connections is that message replayed (RFC 8446 §8, a 0-RTT replay): the
 * client's values in it are not a new draw, so they are not compared; the server's answer must still be fresh.
 */
import type { Transcript } from '../transcript/model';
import { toHex } from '../wire/hex';
import type { Side } from '../wire/vocabulary';
import { allRules } from './catalogue';
import { type Context, type ContextOptions, buildContext } from './context';
import { splitHandshakes } from './handshakes';
import { type Rule, type Verdict, type VerdictCounts, countVerdicts } from './rule';

/** The rules decided across connections, in catalogue order. */
export const acrossRules: readonly Rule[] = allRules.filter((r) => r.across !== undefined);

export interface AcrossOptions {
  /** Only these rules (default: every rule decided across connections). */
  rules?: readonly Rule[];
  /**
   * Only the values of these parties (default: both). A fuzz run judges its target alone: our own side's values are
   * the conversation's choice (a fixed client random is a configuration of the run, not a finding).
   */
  parties?: readonly Side[];
}

interface FirstSeen {
  label: string;
  field: string;
}

/** The evidence of one run, connection by connection (see the header). */
export class RunEvidence {
  private readonly rules: readonly Rule[];
  private readonly parties: readonly Side[];
  private readonly seen = new Map<string, FirstSeen>();
  private readonly hellos = new Map<string, string>();
  private readonly found: Verdict[] = [];
  private readonly counted = new Map<Rule, { values: number; connections: number }>();
  private connections = 0;

  constructor(opts: AcrossOptions = {}) {
    this.rules = opts.rules ?? acrossRules;
    this.parties = opts.parties ?? ['client', 'server'];
  }

  /** Add the handshakes of one connection (its first and any renegotiation); returns the violations it brings. */
  add(label: string, handshakes: readonly Context[]): Verdict[] {
    this.connections++;
    const out: Verdict[] = [];
    const ch = handshakes[0]?.ch?.m.raw;
    const chKey = ch ? toHex(ch) : undefined;
    const replayOf = chKey !== undefined ? this.hellos.get(chKey) : undefined;
    if (chKey !== undefined && replayOf === undefined) this.hellos.set(chKey, label);
    for (const rule of this.rules) {
      const mine = new Map<string, FirstSeen>();
      let values = 0;
      for (const ctx of handshakes) {
        if (!ctx.version || !rule.versions.includes(ctx.version)) continue;
        for (const v of rule.across!.values(ctx)) {
          if (!this.parties.includes(v.party)) continue;
          if (v.party === 'client' && replayOf !== undefined) continue;
          values++;
          const key = `${rule.id}|${v.party}|${toHex(v.value)}`;
          const first = this.seen.get(key);
          if (first && first.label !== label) {
            out.push({
              rule: rule.id,
              status: 'violation',
              message: v.message,
              connections: [first.label, label],
              detail: `The ${v.party} sent the same ${v.field} value in ${label} as in ${first.label} (${first.field}): it was not drawn anew for this connection.`,
              expected: `a ${v.field} not sent in an earlier connection`,
              actual: `${toHex(v.value).slice(0, 16)}… again`,
            });
          } else if (!first && !mine.has(key)) mine.set(key, { label, field: v.field });
        }
      }
      for (const [k, f] of mine) this.seen.set(k, f);
      const c = this.counted.get(rule) ?? { values: 0, connections: 0 };
      if (values) this.counted.set(rule, { values: c.values + values, connections: c.connections + 1 });
    }
    this.found.push(...out);
    return out;
  }

  /** Add one transcript (its contexts are built here, one per handshake). */
  addTranscript(label: string, t: Transcript, options: ContextOptions): Verdict[] {
    const handshakes: Context[] = [];
    for (const part of splitHandshakes(t)) handshakes.push(buildContext(part, [], options, handshakes.at(-1)));
    return this.add(label, handshakes);
  }

  /** The run's verdicts, rule by rule: its violations, else pass or not-applicable with what was compared. */
  verdicts(): Verdict[] {
    return this.rules.flatMap((rule): Verdict[] => {
      const bad = this.found.filter((v) => v.rule === rule.id);
      if (bad.length) return bad;
      const c = this.counted.get(rule);
      if (!c)
        return [
          {
            rule: rule.id,
            status: 'not-applicable',
            detail: `None of the ${this.connections} connection(s) of the run had a value this rule compares.`,
          },
        ];
      if (c.connections < 2)
        return [
          {
            rule: rule.id,
            status: 'not-applicable',
            detail: 'Only one connection of the run had a value this rule compares: there is nothing to compare it with.',
          },
        ];
      return [
        {
          rule: rule.id,
          status: 'pass',
          detail: `${c.values} value(s) over ${c.connections} connections of the run, none sent again in another connection.`,
        },
      ];
    });
  }

  summary(): VerdictCounts {
    return countVerdicts(this.verdicts());
  }
}

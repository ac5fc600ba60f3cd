/**
 * `tlsprop gen --out DIR [--count N] [--seed S] [--version 1.2|1.3] [--mutual]`:
 * generated handshakes (generators/handshake.ts plans, run by the engine in
 * memory) written out as files: per handshake the transcript JSON (with its
 * secrets), a classic pcap of a synthetic TCP connection between 127.0.0.1
 * ports carrying the records as the engine sent them, the NSS key log that
 * decrypts it, and the PEM of the root that issued its certificates.
 */
import { nodeProvider } from '../crypto/provider';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { type FramePlan, tcpConversationFrames, writePcap } from '../capture/synth';
import { derToPem } from '../pki/pem';
import {
  describePlan,
  type HandshakePlan,
  handshakePlanArb,
  newRenderCache,
  type PlanArbOptions,
  renderHandshake,
} from '../generators/handshake';
import { transcriptToJson } from '../transcript/json';
import type { Transcript } from '../transcript/model';
import { option, type Parsed, UsageError } from './args';
import type { Io } from './main';

export interface GeneratedFile {
  name: string;
  /** One-line description of the plan. */
  plan: string;
  planData: HandshakePlan;
  json: string;
  pcap: string;
  keylog: string;
  ca: string;
  sequence: string[];
}

export async function genCommand(p: Parsed, io: Io): Promise<number> {
  const out = option(p, 'out');
  if (!out) throw new UsageError('--out DIR is required');
  const count = Number(option(p, 'count') ?? 5);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new UsageError('--count must be an integer from 1 to 10000');
  const seedText = option(p, 'seed');
  const seed = seedText === undefined ? Date.now() % 0x7fffffff : Number(seedText);
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const version = option(p, 'version');
  if (version !== undefined && version !== '1.2' && version !== '1.3') throw new UsageError('--version must be 1.2 or 1.3');
  const arbOpts: PlanArbOptions = {};
  if (version) arbOpts.version = version;
  if (p.flags.has('mutual')) arbOpts.clientAuth = ['requested-sent', 'required'];
  const files = await generate(resolve(out), count, seed, arbOpts);
  for (const f of files) io.out(`${f.name}  ${f.plan}`);
  io.out(`${files.length} handshake(s) written to ${resolve(out)} (seed ${seed}); the .json files contain secrets`);
  return 0;
}

/** Render `count` plans drawn with `seed` and write their files into `dir`. */
export async function generate(dir: string, count: number, seed: number, arbOpts: PlanArbOptions = {}): Promise<GeneratedFile[]> {
  mkdirSync(dir, { recursive: true });
  const cache = newRenderCache(nodeProvider());
  const plans = fc.sample(handshakePlanArb(arbOpts), { numRuns: count, seed });
  const files: GeneratedFile[] = [];
  for (const [i, plan] of plans.entries()) {
    const r = await renderHandshake(plan, cache, { seed });
    const name = `hs-${String(i + 1).padStart(String(count).length, '0')}-tls${plan.version.replace('.', '')}`;
    const f: GeneratedFile = {
      name,
      plan: describePlan(plan),
      planData: plan,
      json: join(dir, `${name}.json`),
      pcap: join(dir, `${name}.pcap`),
      keylog: join(dir, `${name}.keylog`),
      ca: join(dir, `${name}.ca.pem`),
      sequence: r.transcript.messages.map((m) => `${m.dir} ${m.type}`),
    };
    const json = (t: Transcript) => `${JSON.stringify(transcriptToJson(t, { includeSecrets: true }), null, 2)}\n`;
    writeFileSync(f.json, json(r.transcript));
    // With resumption the capture holds the first (full) connection, then the resumed one.
    const connections = [...r.earlier.map((e) => e.transcript), r.transcript];
    const frames: FramePlan[] = connections.flatMap((t, n) =>
      tcpConversationFrames(
        t.records.map((rec) => ({ dir: rec.dir, data: rec.raw })),
        {
          client: { ip: '127.0.0.1', port: 50000 + ((2 * i + n) % 10000) },
          server: { ip: '127.0.0.1', port: 443 },
          startMs: r.at.getTime() + 100 * n,
          // The in-memory run closed only if both sides sent close_notify (plan.closeNotify): otherwise the capture
          // ends with the connection open, so that it shows no truncation the run did not do (RFC 8446 §6.1).
          close: ['C->S', 'S->C'].every((d) => t.messages.some((m) => m.dir === d && m.alert?.description === 0)),
        },
      ),
    );
    writeFileSync(f.pcap, writePcap(frames, { linkType: 1 }));
    writeFileSync(f.keylog, `${connections.flatMap((t) => t.secrets?.keylog ?? []).join('\n')}\n`);
    for (const e of r.earlier) writeFileSync(join(dir, `${name}.first.json`), json(e.transcript));
    writeFileSync(f.ca, r.trustAnchors.map((d) => derToPem(d, 'CERTIFICATE')).join(''));
    files.push(f);
  }
  return files;
}

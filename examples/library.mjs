// The library from plain Node.js (no TypeScript, no jest): render the MQTT
// write-up's mutual TLS 1.2 handshake with our engine and check it with every
// rule. Run it with `node examples/library.mjs` where tlsprop is installed.
import { checkRendered, newRenderCache, nodeProvider, REFERENCE_PLANS, renderHandshake } from 'tlsprop';

const cache = newRenderCache(nodeProvider());
const rendered = await renderHandshake(REFERENCE_PLANS.mutual, cache);
const { verdicts, summary } = await checkRendered(rendered, cache);
for (const m of rendered.transcript.messages) console.log(`${m.dir} ${m.type}`);
console.log(`${summary.pass} pass, ${summary.violation} violation, ${summary.inconclusive} inconclusive`);
const bad = verdicts.filter((v) => v.status === 'violation');
for (const v of bad) console.log(`VIOLATION ${v.rule}: ${v.detail}`);
process.exitCode = bad.length ? 1 : 0;

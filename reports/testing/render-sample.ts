/**
 * Renders the sample report with the real state machines to
 * out/sample-report.html (and the other formats beside it):
 *     node -r esbuild-register reports/testing/render-sample.ts [outDir]
 */
import { buildCoverage, machinesFromOracles } from '../coverage';
import type { MachineId, MachineTransition } from '../../oracles/statemachine';
import { renderReports } from '../render';
import { sampleInput } from './sample';

const path = (machine: MachineId, steps: Array<[string, string, string]>): MachineTransition[] =>
  steps.map(([from, via, to]) => ({ machine, from, via, to }));

export function realisticSample() {
  const input = sampleInput();
  input.stateMachines = machinesFromOracles();
  const full13: Array<[string, string, string]> = [
    ['START', 'send client_hello', 'WAIT_SH'],
    ['WAIT_SH', 'recv server_hello', 'WAIT_EE'],
    ['WAIT_EE', 'recv encrypted_extensions', 'WAIT_CERT_CR'],
    ['WAIT_CERT_CR', 'recv certificate', 'WAIT_CV'],
    ['WAIT_CV', 'recv certificate_verify', 'WAIT_S_FIN'],
    ['WAIT_S_FIN', 'recv finished', 'C_FLIGHT'],
    ['C_FLIGHT', 'ε', 'C_FIN'],
    ['C_FIN', 'send finished', 'CONNECTED'],
    ['CONNECTED', 'recv new_session_ticket', 'CONNECTED'],
  ];
  input.transcripts[0]!.transitions = path('t13-client', full13);
  input.transcripts[1]!.transitions = path(
    't13-server',
    full13.map(([f, v, t]) => [f, v.startsWith('send') ? v.replace('send', 'recv') : v.replace('recv', 'send'), t]),
  );
  input.transcripts[2]!.transitions = path('t12-server', [
    ['START', 'recv client_hello', 'WAIT_SH'],
    ['WAIT_SH', 'send server_hello', 'WAIT_CERT'],
    ['WAIT_CERT', 'send certificate', 'WAIT_CS'],
    ['WAIT_CS', 'ε', 'WAIT_SKE'],
    ['WAIT_SKE', 'send server_key_exchange', 'WAIT_CR_OR_SHD'],
    ['WAIT_CR_OR_SHD', 'send server_hello_done', 'C_CKE'],
    ['C_CKE', 'recv client_key_exchange', 'C_CCS'],
  ]);
  input.mutants[2]!.transitions = path('t12-server', [['C_CKE', 'recv finished', 'CONNECTED']]);
  input.conversations![1]!.transitions = path('t12-server', [['WAIT_SH', 'recv finished', 'CONNECTED']]);
  return buildCoverage(input);
}

if (require.main === module) {
  const out = process.argv[2] ?? 'out';
  const written = renderReports(realisticSample(), { outDir: out, formats: ['html', 'markdown'], suffix: 'sample' });
  console.log(written.join('\n'));
}

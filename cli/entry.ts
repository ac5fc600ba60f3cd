/**
 * The `tlsprop` executable's body (bin/tlsprop.js loads it: compiled from
 * dist/ in the package, from the sources in a checkout). A closed pipe
 * (`tlsprop explain ... | head`) ends the output quietly.
 */
// @peculiar/x509 (certificate parsing) needs the reflect polyfill before it loads; it is small
import 'reflect-metadata';
import { main } from './main';

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

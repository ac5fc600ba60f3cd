#!/usr/bin/env node
// Runs the TypeScript sources directly: esbuild-register compiles each module
// on load (a few milliseconds), so a checkout needs no build step.
// A closed pipe (`tlsprop explain ... | head`) ends the output quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
require('esbuild-register/dist/node').register({ target: 'node20' });
require('reflect-metadata');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });

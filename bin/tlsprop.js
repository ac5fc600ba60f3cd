#!/usr/bin/env node
// Runs the TypeScript sources directly: esbuild-register compiles each module
// on load (a few milliseconds), so a checkout needs no build step.
require('esbuild-register/dist/node').register({ target: 'node20' });
require('reflect-metadata');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });

#!/usr/bin/env node
// The `tlsprop` command. Installed from the package it runs the compiled
// JavaScript in dist/; in a checkout (the TypeScript sources are beside it)
// it runs the sources, compiled on load by esbuild-register (a dev
// dependency), so a checkout needs no build step and never runs a stale one.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const sources = join(__dirname, '..', 'cli', 'entry.ts');
if (existsSync(sources)) {
  require('esbuild-register/dist/node').register({ target: 'node20' });
  require(sources);
} else require('../dist/cli/entry.js');

// Loads the TypeScript reporter for jest (see jest-reporter.ts for how to register it),
// the way bin/tlsprop.js loads the CLI.
require('esbuild-register/dist/node').register({ target: 'node20' });
require('reflect-metadata');
module.exports = require('./jest-reporter.ts').TlspropReporter;

// After `tsc -p tsconfig.build.json`: the files the compiled code reads at run
// time that tsc does not copy: the committed test keys of the key pool
// (pki/testkeys/*.pem, read beside pki/keypool.js).
const { cpSync, existsSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
if (!existsSync(dist)) throw new Error('dist/ is missing: run tsc -p tsconfig.build.json first');
mkdirSync(join(dist, 'pki'), { recursive: true });
cpSync(join(root, 'pki', 'testkeys'), join(dist, 'pki', 'testkeys'), { recursive: true });

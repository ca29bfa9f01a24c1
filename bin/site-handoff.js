#!/usr/bin/env node
// The `site-handoff` command: runs the TypeScript sources through ts-node (no build step), then the CLI.
'use strict';
const path = require('node:path');

// Type errors are the build's job (`npm run build`); transpiling only keeps every command fast to start.
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../src/cli/main.ts').main();

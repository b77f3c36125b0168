#!/usr/bin/env node
// The `berth` bin: the CLI is TypeScript run in place by tsx's require hook, so there is no build step.
'use strict';
require('tsx/cjs/api').register();
require('./main.ts').runFromProcess();

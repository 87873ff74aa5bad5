#!/usr/bin/env node
// The `titan` CLI (src/cli/). This file is committed, not built, so that npm can link the bin
// before `npm run build` has made dist/.
import { main } from '../dist/cli/main.js';

await main();

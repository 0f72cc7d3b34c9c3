#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-node: the node agent's CLI (agents/node/cli/index.ts), run through tsx on Node 22.
import { launch } from "./launch.js";
await launch("cdn-node", "agents/node/cli/index.ts", import.meta.url);

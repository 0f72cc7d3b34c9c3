#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-node: the node agent's CLI (agents/node/cli/index.ts), run from its bundle on Node 22 (bin/launch.js).
import { launch } from "./launch.js";
await launch("cdn-node", import.meta.url);

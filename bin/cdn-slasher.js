#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-slasher: the slasher's CLI (agents/slasher/cli/index.ts), run through tsx on Node 22.
import { launch } from "./launch.js";
await launch("cdn-slasher", "agents/slasher/cli/index.ts", import.meta.url);

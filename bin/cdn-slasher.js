#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-slasher: the slasher's CLI (agents/slasher/cli/index.ts), run from its bundle on Node 22 (bin/launch.js).
import { launch } from "./launch.js";
await launch("cdn-slasher", import.meta.url);

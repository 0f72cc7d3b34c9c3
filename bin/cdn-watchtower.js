#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-watchtower: the watchtower's CLI (agents/watchtower/cli/index.ts), run from its bundle on Node 22 (bin/launch.js).
import { launch } from "./launch.js";
await launch("cdn-watchtower", import.meta.url);

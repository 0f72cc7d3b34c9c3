#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-watchtower: the watchtower's CLI (agents/watchtower/cli/index.ts), run through tsx on Node 22.
import { launch } from "./launch.js";
await launch("cdn-watchtower", "agents/watchtower/cli/index.ts", import.meta.url);

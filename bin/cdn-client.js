#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-client: the client's CLI (agents/client/cli/index.ts), run through tsx on Node 22.
import { launch } from "./launch.js";
await launch("cdn-client", "agents/client/cli/index.ts", import.meta.url);

#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-client: the client's CLI (agents/client/cli/index.ts), run from its bundle on Node 22 (bin/launch.js).
import { launch } from "./launch.js";
await launch("cdn-client", import.meta.url);

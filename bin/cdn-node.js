#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-node: runs the TypeScript CLI through tsx (registered here, so it works from any directory).
import { register } from "tsx/esm/api";
register();
await import("../agents/node/cli/index.ts");

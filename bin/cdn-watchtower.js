#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// cdn-watchtower: runs the TypeScript CLI through tsx (registered here, so it works from any directory).
import { register } from "tsx/esm/api";
register();
await import("../agents/watchtower/cli/index.ts");

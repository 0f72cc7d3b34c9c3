/**
 * Imported first by the cdn-node entry point, before the agent's modules load: caps V8's young
 * generation (each semi-space at 2 MiB instead of up to 16 MiB). The node's JS allocations are
 * small and short-lived (the bytes it serves live in Buffers outside the JS heap), and a young
 * generation grown to its default maximum stays resident in an idle node (measured: docs/mesh.md,
 * "Node memory").
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--max-semi-space-size=2");

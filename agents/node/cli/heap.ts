/**
 * Imported first by the cdn-node entry point, before the agent's modules load: keeps V8's young
 * generation at its initial size (1 MiB semi-spaces) instead of letting it grow to 16 MiB each.
 * The node's JS allocations are small and short-lived (the bytes it serves live in Buffers outside
 * the JS heap), and a young generation grown to its maximum stays resident in an idle node
 * (measured: docs/mesh.md, "Node memory"). `--max-semi-space-size` does nothing once the heap
 * exists (V8 reads it at start-up only); the growth factor is read at every scavenge.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--semi-space-growth-factor=1");

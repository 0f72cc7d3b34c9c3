// Types of bin/agents-build.js for the TypeScript callers (scripts/devnet.ts, test/helpers/processes.ts).
export const ROOT: string;
export const BUILD_DIR: string;
export const AGENT_ENTRIES: Record<"cdn-node" | "cdn-client" | "cdn-watchtower" | "cdn-slasher", string>;
export function bundlePath(name: keyof typeof AGENT_ENTRIES): string;
export function staleReason(): string | undefined;
export function ensureAgentsBuilt(log?: (line: string) => void): Promise<void>;

// ESLint flat config: typescript-eslint recommended rules over all TypeScript sources, plus the
// habits that keep the agents' house in order: one import per module, short functions in agents/,
// and the layer directions (protocol ← chain ← runtime ← mesh ← agents; the node and the slasher
// may use the client library).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Import patterns (relative, from a file one folder below agents/) that a layer must not use. */
const layer = (from, patterns, message) => ({
  files: [`agents/${from}/**/*.ts`],
  rules: { "no-restricted-imports": ["error", { patterns: [{ group: patterns, message }] }] },
});
const above = (...names) => names.flatMap((n) => [`**/${n}/*`, `**/${n}/**`]);

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "types/", "coverage/", "ignition/deployments/", ".build-*/", "agents/protocol/wire/cdn.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // chai's `expect(x).to.be.true` style is an expression statement.
      "@typescript-eslint/no-unused-expressions": "off",
      "no-duplicate-imports": "error",
    },
  },
  {
    files: ["agents/**/*.ts"],
    rules: { "max-lines-per-function": ["warn", { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  layer("protocol", above("chain", "runtime", "mesh", "node", "client", "watchtower", "slasher"), "agents/protocol is the pure core: it imports no other layer."),
  layer("chain", above("runtime", "mesh", "node", "client", "watchtower", "slasher"), "agents/chain may import only agents/protocol."),
  layer("runtime", above("mesh", "node", "client", "watchtower", "slasher"), "agents/runtime may import only agents/protocol and agents/chain."),
  layer("mesh", above("node", "client", "watchtower", "slasher"), "agents/mesh may import only protocol, chain and runtime."),
  layer("node", [...above("watchtower", "slasher", "client/cli"), "**/client/chain.js"], "the node may import the lower layers and the client library (fan-out), not another agent nor the client's chain view."),
  layer("client", above("node", "watchtower", "slasher"), "the client may import only the lower layers."),
  layer("watchtower", above("node", "client", "slasher"), "the watchtower may import only the lower layers."),
  layer("slasher", above("node", "watchtower", "client/cli"), "the slasher may import the lower layers and the client library, not another agent."),
);

// ESLint flat config: typescript-eslint recommended rules over all TypeScript sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
    },
  },
);

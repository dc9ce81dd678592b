// Lint: the recommended rules of ESLint and typescript-eslint, plus a guard that
// keeps the core (everything but src/cli, src/node*, io/node*) free of Node-only APIs.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "fixtures/", "web/dist/", "src/backend/wasm/assembly/", "src/backend/wasm/kernels.generated.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "prefer-const": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  {
    files: ["bin/**/*.js", "scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The core must run in a browser: no node: imports outside the Node edges (the CLI and the server are Node apps).
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/server/**", "src/node.ts", "src/**/node/**", "src/**/*.node.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["node:*", "fs", "path", "os", "worker_threads", "child_process"], message: "Core code must run in the browser: put Node-only code under src/cli, src/node.ts or a *.node.ts file." }] }],
    },
  },
);

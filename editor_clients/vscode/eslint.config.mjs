// ESLint (flat config) for the extension's TypeScript: the recommended and type-aware
// rules of typescript-eslint, so floating promises and unsafe `any` are caught.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**", "*.vsix"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test runs each `test(...)`; its returned promise needs no await.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", name: "test", package: "node:test" }] },
      ],
      "@typescript-eslint/explicit-module-boundary-types": "error",
      eqeqeq: "error",
    },
  },
);

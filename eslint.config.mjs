// Lint keeps the module boundaries: workflows stay deterministic (no Node built-ins, no
// connectors, no state store, no I/O libraries), and type-only imports stay type-only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.ebb/**', 'dist/**', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows must be deterministic: no Node built-ins. Do I/O in an activity.' })),
          patterns: [
            { group: ['**/connectors/**', '**/state/**', '**/activities/*', '!**/activities/index'], message: 'Workflows reach connectors and state only through activities (import type is fine).', allowTypeImports: true },
            { group: ['pg', '@duckdb/*', 'yaml', '@temporalio/worker', '@temporalio/client', '@temporalio/activity'], message: 'Not in workflow code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    ignores: ['domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:fs*', 'fs', 'node:net', 'node:http*', 'node:child_process', 'pg', '@duckdb/*', '@temporalio/*', '**/state/**', '**/connectors/*', '!**/connectors/types'], message: 'domain/ is pure logic: no I/O.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);

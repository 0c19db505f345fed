import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import boundaries from './eslint-rules/boundaries.mjs';

// Production code: what the boundary and size rules apply to. Tests (test/, *.spec.ts) and benches (bench/) may
// import app internals and run SQL to set up and inspect state — they check the architecture, they are not part of it.
const PRODUCTION = ['apps/**/*.ts', 'apps/console/**/*.tsx', 'libs/**/*.ts', 'scripts/**/*.ts'];
const NOT_PRODUCTION = ['**/*.spec.ts', 'test/**', 'bench/**'];

export default tseslint.config(
  // libs/client/src/generated: openapi-typescript's output of openapi.json (npm run openapi), checked for drift, not read as code
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**', '**/*.js', '**/*.mjs', 'libs/client/src/generated/**'] },
  { plugins: { boundaries } },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // apps/console: React in the browser (its own tsconfig: DOM, JSX); the hooks rules catch stale closures and conditional hooks
    files: ['apps/console/**/*.{ts,tsx,mts}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    // boundaries (style.md "Boundaries we keep"); each rule's message starts with its name
    files: PRODUCTION,
    ignores: NOT_PRODUCTION,
    rules: {
      'boundaries/no-app-imports-app': 'error',
      'boundaries/no-lib-imports-app': 'error',
      'boundaries/contracts-imports-no-lib': 'error',
      'boundaries/client-imports-no-lib': 'error',
      'boundaries/mapping-imports-types-only': 'error',
      'boundaries/sandbox-imports-no-lib': 'error',
      'boundaries/scripts-use-no-app-internals': 'error',
      'boundaries/sql-only-in-persistence': 'error',
    },
  },
  {
    // SQL's home
    files: ['libs/persistence/src/**/*.ts'],
    rules: { 'boundaries/sql-only-in-persistence': 'off' },
  },
  {
    // sizes: a file ≤ 400 lines, a function ≤ 60 lines, every line counted; migrations are history, not read as code
    files: PRODUCTION,
    ignores: [...NOT_PRODUCTION, 'libs/persistence/src/migrations/**'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 60, IIFEs: true }],
    },
  },
);

// Lint: typescript-eslint's recommended rules, plus the import table of docs/architecture.md
// (who may import what), enforced with no-restricted-imports per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const temporal = ['@temporalio/*'];
// activities/, workflows/, src/temporal, src/cli, reached by any relative path.
const shell = '(^|/)(activities|workflows)/|^\\.\\.?/(temporal|cli)/|(^|/)src/(temporal|cli)/';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', '.tools/**', 'data/**', 'docs/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Newton iterations seed their accumulators before the loop on purpose.
      'no-useless-assignment': 'off',
    },
  },
  {
    // The pure core never knows Temporal, nor the shell around it.
    files: ['src/{spec,math,model,store,report,native,pipeline}/**/*.ts', 'src/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: temporal, message: 'the pure core (src/spec, math, model, store, report, native, pipeline) never imports Temporal' },
            { regex: shell, message: 'the pure core never imports activities, workflows, src/temporal or src/cli' },
          ],
        },
      ],
    },
  },
  {
    // Workflows: @temporalio/workflow, types from anywhere, values only from the pure pipeline contract and spec helpers.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@temporalio/*', '!@temporalio/workflow', '!@temporalio/common'],
              message: 'workflows import only @temporalio/workflow',
              allowTypeImports: true,
            },
            { group: ['node:*', 'fs', 'path', 'os', 'child_process'], message: 'workflows do no I/O' },
            {
              regex: '^\\.\\./(activities/|src/(?!pipeline/names\\.js$|spec/grid\\.js$))',
              message: 'workflows import only types, or pure helpers from src/pipeline/names and src/spec/grid',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'Date', message: 'use workflowInfo() or Temporal sandbox time' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'workflows are deterministic' }],
    },
  },
  {
    // Activities: never the workflow sandbox.
    files: ['activities/**/*.ts', 'src/temporal/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/workflow'], message: 'only workflows import @temporalio/workflow', allowTypeImports: true }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.{ts,mjs}', 'scripts/**/*.mjs'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);

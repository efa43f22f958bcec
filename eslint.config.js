import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/src/paraglide/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  // The direction of imports is part of the design: shared/ is imported by both sides and imports neither.
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../signaling/*', '../web/*', 'node:*'] }],
    },
  },
  {
    files: ['signaling/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../web/*', '../../web/*', '**/tests/*'] }],
    },
  },
  {
    files: ['web/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../signaling/*', '../../signaling/*', '../../../signaling/*'] },
      ],
    },
  },
);

// The TypeScript linter (npm run lint): typescript-eslint's recommended rules and lines of at
// most 140 characters (prettier formats code to that width; comments and strings are wrapped by
// hand). Run on lib/, scripts/, test/ and examples/.
import tseslint from 'typescript-eslint';
import stylistic from '@stylistic/eslint-plugin';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build*/**', 'prebuilds/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': ['error', { code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      // `a(), b()` on one line is the house's way to write paired pushes
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
);

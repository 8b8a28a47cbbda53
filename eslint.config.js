// ESLint runs the type-aware promise rules and the layer order; Biome does everything else.
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first: a folder may import from the folders before
 * it (and from the root modules errors.ts, events.ts, logging.ts), never from
 * the ones after it. docs/architecture.md draws the same order.
 */
const LAYERS = [
  'tracing',
  'config',
  'time',
  'triggers',
  'jobs',
  'stores',
  'executors',
  'scheduler',
  'observability',
  'cli',
  'dashboard',
];

const layerRules = LAYERS.slice(0, -1).map((layer, index) => {
  const higher = LAYERS.slice(index + 1);
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${higher.join('|')})/`,
              message: `src/${layer}/ is below ${higher.join(', ')}: lower layers never import higher ones (see docs/architecture.md).`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '*.config.*'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  ...layerRules,
);

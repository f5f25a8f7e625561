// Lints the TypeScript sources and the plain scripts; dist/ is compiler output.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['dist/**', 'node_modules/**', '.demo/**', '.test-redis/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ['**/*.ts'],
        rules: {
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
            // `const node = this` is Node-RED's own idiom for node constructors.
            '@typescript-eslint/no-this-alias': 'off',
        },
    },
    {
        // Tests and benchmarks load node modules with require(), as Node-RED does.
        files: ['test/**/*.ts', 'bench/**/*.ts'],
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
    {
        files: ['scripts/**/*.js', 'test/browser/**/*.js'],
        languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' } },
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
);

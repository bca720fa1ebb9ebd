// ESLint flat config: typescript-eslint strict type-checked rules, prettier for layout, and the
// layer rules of STYLE.md ("lower layers never import higher ones"; other folders are reached
// only through their index.ts). The layer rule is a small local rule rather than per-folder
// `no-restricted-imports` blocks because our relative specifiers (`../../dns/wire/index.ts`)
// differ in depth from file to file, and a resolved-path check states the table once.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Module → modules of src/ it may import (besides itself). Mirrors STYLE.md's table. */
const LAYERS = {
  util: [],
  'dns/wire': ['util'],
  'dns/dnssec': ['util', 'dns/wire'],
  'dns/transport': ['util', 'dns/wire'],
  'dns/resolver': ['util', 'dns/wire', 'dns/dnssec'],
  x509: ['util'],
  dane: ['util', 'dns/wire', 'dns/dnssec', 'dns/resolver', 'x509'],
  'smtp/protocol': ['util'],
  'smtp/client': ['util', 'smtp/protocol'],
  policy: ['util', 'dns/wire', 'dns/dnssec', 'dane', 'smtp/protocol'],
  delivery: [
    'util',
    'dns/wire',
    'dns/dnssec',
    'dns/resolver',
    'x509',
    'dane',
    'smtp/protocol',
    'smtp/client',
    'policy',
    'queue',
  ],
  /** The composition root of the library: createMta() wires resolver, transport and delivery. */
  mta: [
    'util',
    'dns/wire',
    'dns/dnssec',
    'dns/transport',
    'dns/resolver',
    'x509',
    'dane',
    'smtp/protocol',
    'smtp/client',
    'policy',
    'delivery',
  ],
  /** The DANE checker behind `dane-mta check` and the web page (C5). */
  check: [
    'util',
    'dns/wire',
    'dns/dnssec',
    'dns/transport',
    'dns/resolver',
    'x509',
    'dane',
    'smtp/protocol',
    'smtp/client',
    'policy',
    'delivery',
    'mta',
  ],
  queue: ['util'],
  'smtp/server': ['util', 'smtp/protocol', 'queue', 'policy', 'config'],
  config: ['util'],
  obs: ['util'],
  /** The simulated Internet: it plays the servers, never the MTA (no resolver, no delivery). */
  lab: ['util', 'dns/wire', 'dns/dnssec', 'x509', 'smtp/protocol'],
  cli: '*',
  daemon: '*',
  web: '*',
};

/** Pure layers: no node: built-ins at all (except the named file exceptions). */
const PURE = {
  'dns/wire': {},
  'dns/dnssec': { 'node:crypto': ['algorithms.ts'] },
  dane: {},
  'smtp/protocol': {},
  policy: {},
};

/** npm packages each layer may import (node: built-ins are governed by PURE). */
const PACKAGES = {
  x509: ['@peculiar/asn1-x509', '@peculiar/asn1-schema'],
  lab: ['smtp-server', '@peculiar/asn1-x509', '@peculiar/asn1-schema'],
  'smtp/server': ['smtp-server'],
  queue: ['better-sqlite3', 'pg'],
  config: ['zod', 'yaml'],
  obs: ['pino', 'pino-pretty', 'prom-client'],
  cli: '*',
  daemon: '*',
  web: '*',
};

function layerOf(absPath) {
  const rel = relative(resolve(root, 'src'), absPath).split(sep).join('/');
  if (rel.startsWith('..')) return undefined;
  const names = Object.keys(LAYERS).sort((a, b) => b.length - a.length);
  return names.find((n) => rel === n || rel.startsWith(n + '/'));
}

const layerRule = {
  meta: { type: 'problem', schema: [], messages: { bad: '{{why}}' } },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (from === undefined) return {};
    const check = (node, spec) => {
      const report = (why) => context.report({ node, messageId: 'bad', data: { why } });
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const to = layerOf(target);
        if (to === undefined || to === from) return;
        const allowed = LAYERS[from];
        if (allowed !== '*' && !allowed.includes(to))
          report(`layer ${from} must not import ${to} (STYLE.md import rules)`);
        const index = resolve(root, 'src', to, 'index.ts');
        if (target !== index) report(`import ${to} through its index.ts, not ${spec}`);
        return;
      }
      if (spec.startsWith('node:')) {
        const pure = PURE[from];
        // Tests beside a pure module may use node:test, node:assert, temp files …: they are not the layer.
        if (pure === undefined || file.endsWith('.test.ts')) return;
        const files = pure[spec];
        const base = file.split(sep).pop();
        if (files === undefined || !files.includes(base))
          report(`pure layer ${from} must not import ${spec}`);
        return;
      }
      const pkgs = PACKAGES[from] ?? [];
      if (pkgs === '*') return;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!pkgs.includes(name)) report(`layer ${from} must not import the package ${name}`);
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, String(n.source.value)),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/**', 'coverage/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    plugins: { local: { rules: { layers: layerRule } } },
    rules: {
      'local/layers': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  prettier,
);

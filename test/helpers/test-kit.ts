/**
 * The test runner and assertions for tests of pure layers (dane, dns/wire, policy …). The
 * ESLint layer rule forbids every `node:` import inside a pure layer's folder, test files
 * included, so their tests take node:test and node:assert/strict from here instead.
 * Test support only; never imported by runtime code.
 */
export { after, before, describe, it, test } from 'node:test';
export { default as assert } from 'node:assert/strict';

/**
 * config repeats the TLS vocabulary of policy (config may not import policy, STYLE.md layers):
 * pin the two lists together so a tenth mode cannot be added to one and not the other.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INSECURE_MX_POLICIES as CONFIG_MX, TLS_MODES as CONFIG_MODES } from '../../src/config/index.ts';
import { INSECURE_MX_POLICIES, TLS_MODES } from '../../src/policy/index.ts';

test("config's TLS modes and insecure-MX policies are policy's", () => {
  assert.deepEqual([...CONFIG_MODES], [...TLS_MODES]);
  assert.deepEqual([...CONFIG_MX], [...INSECURE_MX_POLICIES]);
});

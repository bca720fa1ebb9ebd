/**
 * Issue #9 item 5: every diagnostics channel is declared once. Each name in `ChannelName` has
 * exactly one `TypedChannel` among the modules that publish (the library surface, SMTP intake,
 * the daemon), no module builds a second channel on a name, and no publisher uses a name the
 * registry does not list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as daemon from '../../src/daemon/index.ts';
import * as library from '../../src/index.ts';
import * as intake from '../../src/smtp/server/index.ts';
import { ChannelName, TypedChannel } from '../../src/util/index.ts';

test('each ChannelName has exactly one exported TypedChannel, and every TypedChannel is registered', () => {
  const found = new Map<TypedChannel<object>, string>();
  for (const [module, exports] of Object.entries({ library, intake, daemon }))
    for (const [name, value] of Object.entries(exports))
      if (value instanceof TypedChannel) found.set(value, `${module}.${name}`);
  const byName = new Map<string, string[]>();
  for (const [ch, where] of found) byName.set(ch.name, [...(byName.get(ch.name) ?? []), where]);
  const registered = Object.values(ChannelName).sort();
  assert.deepEqual([...byName.keys()].sort(), registered);
  for (const [name, where] of byName)
    assert.equal(where.length, 1, `${name} declared by ${where.join(', ')}`);
});

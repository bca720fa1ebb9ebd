/** RFC 3461 parameters and xtext. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNotify, dsnMailParams, dsnRcptParams, encodeXtext } from './dsn.ts';

test('xtext encodes +, =, space and non-ASCII as +HH (RFC 3461 §4)', () => {
  assert.equal(encodeXtext('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(encodeXtext('user@example.org'), 'user@example.org');
  assert.equal(encodeXtext('ü'), '+C3+BC');
});

test('MAIL parameters', () => {
  assert.deepEqual(dsnMailParams({ ret: 'HDRS', envid: 'QQ 314' }), ['RET=HDRS', 'ENVID=QQ+20314']);
  assert.deepEqual(dsnMailParams({}), []);
  assert.throws(() => dsnMailParams({ envid: '' }), /ENVID/);
});

test('RCPT parameters', () => {
  assert.deepEqual(dsnRcptParams({ notify: ['failure', 'delay'] }, 'a+b@x.org'), [
    'NOTIFY=FAILURE,DELAY',
    'ORCPT=rfc822;a+2Bb@x.org',
  ]);
  assert.deepEqual(dsnRcptParams({}, 'a@x.org'), []);
});

test('NOTIFY=NEVER stands alone; unknown values are refused', () => {
  assert.deepEqual(checkNotify(['never']), ['NEVER']);
  assert.throws(() => checkNotify(['NEVER', 'SUCCESS']), /NEVER/);
  assert.throws(() => checkNotify(['SOMETIMES']), /unknown/);
});

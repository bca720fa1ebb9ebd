import { assert, test } from '../../../test/helpers/test-kit.ts';
import { hasExtension, parseEhlo, sizeLimit, type Extensions } from './ehlo.ts';
import type { Reply } from './reply.ts';

const reply = (lines: string[]): Reply => ({ code: 250, lines, text: lines.join(' ') });

test('parseEhlo: table', () => {
  const table: { lines: string[]; want: { serverName: string; extensions: Extensions } }[] = [
    { lines: ['mx.example'], want: { serverName: 'mx.example', extensions: {} } },
    {
      lines: ['mx.example Hello client', 'pipelining', 'SIZE 10240000', 'AUTH PLAIN LOGIN', '8BITMIME'],
      want: {
        serverName: 'mx.example',
        extensions: { PIPELINING: [], SIZE: ['10240000'], AUTH: ['PLAIN', 'LOGIN'], '8BITMIME': [] },
      },
    },
    {
      // Lines outside the keyword grammar are ignored; the first occurrence wins.
      lines: ['mx', 'AUTH=LOGIN', '__proto__', '-BAD', 'SIZE 1', 'SIZE 2', '  STARTTLS  '],
      want: { serverName: 'mx', extensions: { SIZE: ['1'], STARTTLS: [] } },
    },
    { lines: [], want: { serverName: '', extensions: {} } },
  ];
  for (const c of table) assert.deepEqual(parseEhlo(reply(c.lines)), c.want);
});

test('hasExtension and sizeLimit', () => {
  const table: { ext: Extensions; has: boolean; size: number | undefined }[] = [
    { ext: {}, has: false, size: undefined },
    { ext: { SIZE: [] }, has: true, size: undefined },
    { ext: { SIZE: ['0'] }, has: true, size: undefined },
    { ext: { SIZE: ['1000'] }, has: true, size: 1000 },
    { ext: { SIZE: ['10k'] }, has: true, size: undefined },
    { ext: { SIZE: ['-5'] }, has: true, size: undefined },
  ];
  for (const c of table) {
    assert.equal(hasExtension(c.ext, 'size'), c.has);
    assert.equal(sizeLimit(c.ext), c.size);
  }
});

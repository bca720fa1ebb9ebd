/**
 * A captured CommandIo for calling the CLI's `main()` in-process: stdout and stderr collected as
 * text, stdin from a given string, an empty environment. Test support only.
 */
import { Readable } from 'node:stream';
import type { CommandIo } from '../../src/cli/command.ts';

export interface CapturedIo {
  io: CommandIo;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text`. */
  waitFor: (text: string, timeoutMs?: number) => Promise<string>;
}

export function captureIo(stdin = ''): CapturedIo {
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: (s: string) => void }[] = [];
  const io: CommandIo = {
    stdout: (t) => {
      out += t;
      for (const w of waiters.filter((x) => out.includes(x.text))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
    },
    stderr: (t) => {
      err += t;
    },
    stdin: Readable.from([Buffer.from(stdin)]),
    env: {},
  };
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        if (out.includes(text)) {
          resolve(out);
          return;
        }
        const timer = setTimeout(() => {
          reject(new Error(`stdout never showed ${JSON.stringify(text)}; stderr: ${err}`));
        }, timeoutMs);
        waiters.push({
          text,
          resolve: (s) => {
            clearTimeout(timer);
            resolve(s);
          },
        });
      }),
  };
}

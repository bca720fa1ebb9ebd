/**
 * Reads the messages a receiving MX delivered into a Maildir (new/ and cur/) and splits each
 * into header fields (RFC 5322 §2.2, with folded lines unfolded per §2.2.3) and body. The top
 * Received: field — the one the receiving MX added — tells whether the message came over TLS
 * (Postfix writes "(using TLSv1.3 with cipher …)"). Must never modify the Maildir.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One header field, name as written, value unfolded. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** A delivered message. */
export interface ReceivedMessage {
  /** The Maildir file. */
  readonly file: string;
  /** The whole message as stored (LF line ends). */
  readonly raw: string;
  readonly headers: readonly HeaderField[];
  readonly body: string;
  /** The receiving MX's Received: field says the session used TLS. */
  readonly overTls: boolean;
  /** "TLSv1.3", "TLSv1.2", … when overTls. */
  readonly tlsProtocol?: string;
  /** Delivered-To: (the envelope recipient). */
  readonly deliveredTo?: string;
  /** Return-Path: (the envelope sender, with its angle brackets). */
  readonly returnPath?: string;
}

/** Files of a Maildir (new/ then cur/), sorted by name (Maildir names start with the time). */
export async function readMaildir(maildir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const file = join(maildir, sub, name);
      out.push({ file, text: await readFile(file, 'utf8') });
    }
  }
  return out;
}

/** How many messages the Maildir holds (new/ and cur/), without reading them. */
export async function countMaildir(maildir: string): Promise<number> {
  let n = 0;
  for (const sub of ['new', 'cur']) n += (await readdir(join(maildir, sub)).catch(() => [])).length;
  return n;
}

/** Splits a stored message into unfolded header fields and body. */
export function parseMaildirMessage(file: string, raw: string): ReceivedMessage {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const headers: HeaderField[] = [];
  for (const line of head.split('\n')) {
    const last = headers.at(-1);
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers[headers.length - 1] = { name: last.name, value: `${last.value} ${line.trim()}` };
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
  }
  const field = (name: string): string | undefined =>
    headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
  const received = field('Received') ?? '';
  const tls = /\(using (TLSv[0-9.]+|SSLv[0-9])/.exec(received);
  const deliveredTo = field('Delivered-To');
  const returnPath = field('Return-Path');
  return {
    file,
    raw: text,
    headers,
    body,
    overTls: tls !== null,
    ...(tls?.[1] === undefined ? {} : { tlsProtocol: tls[1] }),
    ...(deliveredTo === undefined ? {} : { deliveredTo }),
    ...(returnPath === undefined ? {} : { returnPath }),
  };
}

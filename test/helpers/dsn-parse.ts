/**
 * A small, strict MIME/DSN reader for tests: splits a message into its header fields (unfolded,
 * RFC 5322 §2.2.3) and body, a multipart body into its parts (RFC 2046 §5.1.1 boundaries), and
 * a message/delivery-status body into its per-message and per-recipient field groups
 * (RFC 3464 §2.1). It checks the structure as it goes — CRLF line ends only, no line over 998
 * octets, one closing boundary — and throws on anything else, so a DSN that breaks the format
 * fails the test that reads it.
 * Tests only; never imported by src/.
 */

export interface Header {
  /** Field name as written. */
  name: string;
  /** Unfolded value (CRLF + WSP → WSP), leading white space trimmed. */
  value: string;
}

export interface Entity {
  headers: Header[];
  /** The body as octets. */
  body: Uint8Array;
}

export interface DeliveryStatus {
  /** Per-message fields, by lower-case name. */
  message: Record<string, string>;
  /** One record per recipient block, by lower-case name. */
  recipients: Record<string, string>[];
}

export interface ParsedDsn {
  top: Entity;
  parts: Entity[];
  /** The human-readable first part as text. */
  text: string;
  status: DeliveryStatus;
  /** The third part, if any. */
  returned?: Entity;
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** Throws unless every line ends in CRLF (no bare CR or LF) and none exceeds 998 octets. */
export function checkLines(bytes: Uint8Array, what: string): void {
  const text = latin1(bytes);
  if (/\r(?!\n)|(?<!\r)\n/.test(text)) throw new Error(`${what}: bare CR or LF`);
  for (const line of text.split('\r\n')) {
    if (line.length > 998) throw new Error(`${what}: line of ${line.length} octets`);
  }
}

/** Split an entity into unfolded header fields and body. */
export function parseEntity(bytes: Uint8Array): Entity {
  const text = latin1(bytes);
  const end = text.startsWith('\r\n') ? 0 : text.indexOf('\r\n\r\n');
  const headText = end < 0 ? text : text.slice(0, end);
  const bodyStart = end < 0 ? bytes.length : end === 0 ? 2 : end + 4;
  const headers: Header[] = [];
  for (const line of headText === '' ? [] : headText.split('\r\n')) {
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (last === undefined) throw new Error('continuation line before any field');
      last.value += line.replace(/^[ \t]+/, ' ');
      continue;
    }
    const m = /^([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)$/.exec(line);
    if (m === null) throw new Error(`not a header field: ${JSON.stringify(line)}`);
    headers.push({ name: m[1]!, value: m[2]! });
  }
  return { headers, body: bytes.subarray(bodyStart) };
}

/** Every value of field `name` (case-insensitive), as UTF-8 text. */
export function fields(entity: Entity, name: string): string[] {
  return entity.headers
    .filter((h) => h.name.toLowerCase() === name.toLowerCase())
    .map((h) => Buffer.from(h.value, 'latin1').toString('utf8'));
}

/** The one value of field `name`; throws when it is missing or repeated. */
export function field(entity: Entity, name: string): string {
  const all = fields(entity, name);
  if (all.length !== 1) throw new Error(`${name}: ${all.length} fields`);
  return all[0]!;
}

/** Media type (lower case) and parameters of a Content-Type value. */
export function contentType(value: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([A-Za-z0-9-]+)=(?:"([^"]*)"|([^\s;]+))\s*$/.exec(p);
    if (m === null) throw new Error(`bad parameter ${JSON.stringify(p)}`);
    params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The parts of a multipart body with `boundary` (preamble and epilogue dropped). */
export function splitMultipart(body: Uint8Array, boundary: string): Entity[] {
  const text = latin1(body);
  const delimiter = `\r\n--${boundary}`;
  const padded = `\r\n${text}`;
  const pieces = padded.split(delimiter);
  if (pieces.length < 3) throw new Error('multipart: fewer than two delimiters');
  const last = pieces[pieces.length - 1]!;
  if (!last.startsWith('--')) throw new Error('multipart: no closing delimiter');
  if (pieces.slice(1, -1).some((p) => p.startsWith('--')))
    throw new Error('multipart: early close delimiter');
  return pieces.slice(1, -1).map((p) => {
    if (!p.startsWith('\r\n')) throw new Error('multipart: delimiter not followed by CRLF');
    return parseEntity(Buffer.from(p.slice(2), 'latin1'));
  });
}

/** Field groups of a message/delivery-status body (blank-line separated, RFC 3464 §2.1). */
export function parseDeliveryStatus(body: Uint8Array): DeliveryStatus {
  const text = latin1(body).replace(/\r\n$/, '');
  const groups = text.split(/\r\n\r\n/).filter((g) => g.trim() !== '');
  const records = groups.map((g) => {
    const entity = parseEntity(Buffer.from(`${g}\r\n\r\n`, 'latin1'));
    const rec: Record<string, string> = {};
    for (const h of entity.headers) {
      const key = h.name.toLowerCase();
      if (key in rec) throw new Error(`delivery-status: ${h.name} twice in one group`);
      rec[key] = Buffer.from(h.value, 'latin1').toString('utf8');
    }
    return rec;
  });
  const [message, ...recipients] = records;
  if (message === undefined) throw new Error('delivery-status: no per-message fields');
  return { message, recipients };
}

/** Parse a whole DSN (RFC 6522 multipart/report) and check its structure. */
export function parseDsn(bytes: Uint8Array): ParsedDsn {
  checkLines(bytes, 'DSN');
  const top = parseEntity(bytes);
  const ct = contentType(field(top, 'Content-Type'));
  if (ct.type !== 'multipart/report') throw new Error(`not multipart/report: ${ct.type}`);
  const boundary = ct.params['boundary'];
  if (boundary === undefined) throw new Error('no boundary');
  const parts = splitMultipart(top.body, boundary);
  const [textPart, statusPart, returned] = parts;
  if (textPart === undefined || statusPart === undefined) throw new Error('fewer than two parts');
  const statusType = contentType(field(statusPart, 'Content-Type')).type;
  if (ct.params['report-type'] !== statusType.replace(/^message\//, '')) {
    throw new Error(
      `report-type ${ct.params['report-type'] ?? ''} does not name the second part (${statusType})`,
    );
  }
  const result: ParsedDsn = {
    top,
    parts,
    text: Buffer.from(textPart.body).toString('utf8'),
    status: parseDeliveryStatus(statusPart.body),
  };
  if (returned !== undefined) result.returned = returned;
  return result;
}

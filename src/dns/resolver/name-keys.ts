/**
 * Cache keys of a name and of all its ancestors, computed once per Name object: the resolver's
 * hot paths (closest delegation, closest trust anchor, the key walk) look names up level by
 * level, and building a fresh lower-cased string per level per lookup is measurable. The keys
 * are suffixes of the name's own key (`Name.key()`: lower-cased presentation form), cut at the
 * unescaped dots. Pure.
 */
import type { Name } from '../wire/index.ts';

const memo = new WeakMap<Name, readonly string[]>();

/**
 * Keys of `name` and its ancestors, longest first: for `a.b.` → [`a.b.`, `b.`, `.`].
 * `keys[name.labelCount - k]` is the key of the suffix with `k` labels.
 */
export function suffixKeys(name: Name): readonly string[] {
  const hit = memo.get(name);
  if (hit !== undefined) return hit;
  const key = name.key();
  const out: string[] = [key];
  if (key !== '.') {
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c === 0x5c) {
        // `\DDD` or `\X` escapes (RFC 1035 §5.1) never end a label.
        const d = key.charCodeAt(i + 1);
        i += d >= 0x30 && d <= 0x39 ? 3 : 1;
      } else if (c === 0x2e && i + 1 < key.length) {
        out.push(key.slice(i + 1));
      }
    }
    out.push('.');
  }
  memo.set(name, out);
  return out;
}

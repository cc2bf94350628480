/**
 * Text from WeCom as PostgreSQL can store it. Neither `text` nor `jsonb` holds U+0000, and `jsonb` refuses
 * a lone UTF-16 surrogate (half of an emoji, e.g. a nickname cut in the middle), which `text` would get
 * silently replaced on its way through the driver. Both become U+FFFD, the replacement character: a name
 * shows where a character was lost, and two different ids never become the same one (as removing the
 * character would let `a\0b` and `ab` do).
 */

const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const LONE_SURROGATE = new RegExp(LONE_SURROGATES.source);

export const REPLACEMENT = '\uFFFD';

export function hasUnstorable(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

export function storableText(s: string): string {
  return hasUnstorable(s) ? s.replaceAll('\u0000', REPLACEMENT).replace(LONE_SURROGATES, REPLACEMENT) : s;
}

/**
 * A copy of a JSON-like value (objects, arrays, strings, numbers…) whose strings and keys are storable, and
 * the paths (`raw.ExternalUserID`, `follow_user.0.remark`) of those that changed. Values without a change
 * are returned as they are.
 */
export function storableValue<T>(value: T): { value: T; changed: string[] } {
  const changed: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      if (!hasUnstorable(v)) return v;
      changed.push(path);
      return storableText(v);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, path ? `${path}.${i}` : String(i)));
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = storableText(k);
        const at = path ? `${path}.${key}` : key;
        if (key !== k) changed.push(at);
        out[key] = walk(x, at);
      }
      return out;
    }
    return v;
  };
  const out = walk(value, '') as T;
  return changed.length ? { value: out, changed } : { value, changed };
}

/** JSON text from WeCom parsed with every string made storable (only escapes can carry the characters). */
export function parseStorableJson(text: string): unknown {
  const json: unknown = JSON.parse(text);
  return /\\u(?:0000|[dD][89a-fA-F])/.test(text) ? storableValue(json).value : json;
}

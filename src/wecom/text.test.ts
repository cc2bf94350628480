import { describe, expect, it } from 'vitest';
import { parseStorableJson, storableText, storableValue } from './text.ts';

describe('text PostgreSQL can store', () => {
  it('replaces U+0000 and lone surrogates with U+FFFD, keeping surrogate pairs', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('\ud800x\udc00')).toBe('\uFFFDx\uFFFD');
    expect(storableText('茶😀\ud83d')).toBe('茶😀\uFFFD');
    const fine = 'plain 文本 😀';
    expect(storableText(fine)).toBe(fine);
  });

  it('copies a value with its strings and keys replaced, naming the paths that changed', () => {
    const input = { a: 'ok', b: ['x\u0000', 'y'], c: { 'k\ud800': 1, n: null, d: 2 } };
    const { value, changed } = storableValue(input);
    expect(value).toEqual({ a: 'ok', b: ['x\uFFFD', 'y'], c: { 'k\uFFFD': 1, n: null, d: 2 } });
    expect(changed).toEqual(['b.0', 'c.k\uFFFD']);
    const clean = { a: ['b'] };
    expect(storableValue(clean)).toEqual({ value: clean, changed: [] });
    expect(storableValue(clean).value).toBe(clean);
  });

  it('parses WeCom JSON whose escapes carry such characters', () => {
    expect(parseStorableJson('{"name":"林\\u0000小满\\ud83d","ok":"\\ud83d\\ude00"}')).toEqual({
      name: '林\uFFFD小满\uFFFD',
      ok: '😀',
    });
  });
});

import { pinyin } from 'pinyin-pro';

/** "张伟" -> "zhangwei zw": full pinyin and initials, so either finds the customer. */
export function namePinyin(name: string): string {
  const full = pinyin(name, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).join('').toLowerCase();
  const initials = pinyin(name, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'consecutive' })
    .join('')
    .toLowerCase();
  return `${full} ${initials}`.replace(/\s+/g, ' ').trim();
}

/**
 * What a customer search matches: name, its pinyin (namePinyin, which the caller has for the name_pinyin
 * column already), every follow's remark, and the masked phone.
 */
export function searchText(input: {
  name: string;
  namePinyin: string;
  remarks: (string | null)[];
  phoneMasked: string | null;
}): string {
  return [input.name, input.namePinyin, ...input.remarks, input.phoneMasked]
    .filter((s): s is string => Boolean(s))
    .join(' ')
    .toLowerCase();
}

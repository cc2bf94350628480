/**
 * A strict, small XML reader for WeCom's callback documents, on the acknowledgement path of every callback
 * (so it must be cheap). It reads elements, text, CDATA, comments and processing instructions; attributes
 * are checked for form and dropped; text has the five predefined entities and character references
 * decoded (any code point, U+0000 and lone surrogates included: what PostgreSQL cannot store is the
 * caller's to replace, see text.ts). A DTD is refused outright (no entity can ever be expanded), as are unknown entities, bare `<` or
 * `&`, mismatched or unclosed tags, text or a second element after the root, and nesting deeper than 16.
 */

export interface XmlElement {
  name: string;
  /** Text pieces (CDATA and decoded text) and child elements, in document order. */
  children: (XmlElement | string)[];
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

const MAX_DEPTH = 16;
const NAME = /[A-Za-z_:][\w.:-]*/y;
const ATTRIBUTE = /\s+[A-Za-z_:][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*')/y;
const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/y;
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Parses a whole document and returns its root element. Throws XmlSyntaxError. */
export function parseXml(source: string): XmlElement {
  const doc = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  let pos = 0;
  let at = 0; // where the piece being read starts: errors point there
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];

  const fail = (why: string): never => {
    const before = doc.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new XmlSyntaxError(`${why} (line ${line}, column ${column})`);
  };
  const skipPast = (end: string, what: string) => {
    const at = doc.indexOf(end, pos);
    if (at < 0) fail(`unclosed ${what}`);
    const content = doc.slice(pos, at);
    pos = at + end.length;
    return content;
  };
  const readName = () => {
    NAME.lastIndex = pos;
    const m = NAME.exec(doc);
    if (!m) return fail('expected a tag name');
    pos = NAME.lastIndex;
    return m[0];
  };
  const addText = (text: string) => {
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(text);
    } else if (text.trim() !== '') {
      fail(root ? 'text after the root element' : 'text before the root element');
    }
  };

  while (pos < doc.length) {
    at = pos;
    const lt = doc.indexOf('<', pos);
    if (lt !== pos) {
      const end = lt < 0 ? doc.length : lt;
      addText(decodeText(doc.slice(pos, end), () => fail('invalid entity reference')));
      pos = end;
      continue;
    }
    if (doc.startsWith('<!--', pos)) {
      pos += 4;
      skipPast('-->', 'comment');
    } else if (doc.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      pos += 9;
      addText(skipPast(']]>', 'CDATA section'));
    } else if (doc.startsWith('<?', pos)) {
      if (stack.length > 0) fail('processing instruction inside an element');
      pos += 2;
      skipPast('?>', 'processing instruction');
    } else if (doc.startsWith('<!', pos)) {
      fail('DOCTYPE and other declarations are not allowed');
    } else if (doc.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      while (/\s/.test(doc[pos] ?? '')) pos++;
      if (doc[pos] !== '>') fail('malformed closing tag');
      pos++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an opening tag`);
      else if (open.name !== name) fail(`closing tag </${name}> does not match <${open.name}>`);
    } else {
      pos++;
      if (stack.length === 0 && root) fail('a second root element');
      const element: XmlElement = { name: readName(), children: [] };
      for (;;) {
        ATTRIBUTE.lastIndex = pos;
        if (!ATTRIBUTE.test(doc)) break;
        pos = ATTRIBUTE.lastIndex;
      }
      while (/\s/.test(doc[pos] ?? '')) pos++;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else root = element;
      if (doc.startsWith('/>', pos)) {
        pos += 2;
      } else if (doc[pos] === '>') {
        pos++;
        if (stack.length >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
        stack.push(element);
      } else {
        fail(`malformed tag <${element.name}>`);
      }
    }
  }
  at = pos;
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) fail('no XML element found');
  return root as XmlElement;
}

function decodeText(text: string, invalid: () => never): string {
  const amp = text.indexOf('&');
  if (amp < 0) return text;
  let out = text.slice(0, amp);
  let pos = amp;
  while (pos < text.length) {
    const next = text.indexOf('&', pos);
    if (next < 0) {
      out += text.slice(pos);
      break;
    }
    out += text.slice(pos, next);
    ENTITY.lastIndex = next;
    const m = ENTITY.exec(text);
    if (!m) invalid();
    const ref = (m as RegExpExecArray)[1] as string;
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      // &#0; reads as a raw U+0000 does (XML forbids both): the caller makes such text storable
      if (code > 0x10ffff) invalid();
      out += String.fromCodePoint(code);
    } else {
      out += NAMED_ENTITIES[ref];
    }
    pos = ENTITY.lastIndex;
  }
  return out;
}

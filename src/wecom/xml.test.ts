import { describe, expect, it } from 'vitest';
import { parseXml, XmlSyntaxError } from './xml.ts';

const refused = (doc: string) => {
  try {
    parseXml(doc);
  } catch (err) {
    if (err instanceof XmlSyntaxError) return err.message;
    throw err;
  }
  return 'accepted';
};

describe('the callback XML reader', () => {
  it('reads elements, CDATA, decoded text, comments, a declaration, attributes and empty elements', () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- pushed -->\n<xml a="1" b=\'2\'>' +
        '<Name><![CDATA[<b>&amp; 不解码</b>]]></Name><T>a &lt; b &amp;&#20013;&#x6587; &quot;&apos;&gt;</T>' +
        '<Empty/><Mixed>x<!-- c --><![CDATA[y]]>z</Mixed><L><Item>1</Item></L></xml>\n',
    );
    expect(root).toEqual({
      name: 'xml',
      children: [
        { name: 'Name', children: ['<b>&amp; 不解码</b>'] },
        { name: 'T', children: ['a < b &中文 "\'>'] },
        { name: 'Empty', children: [] },
        { name: 'Mixed', children: ['x', 'y', 'z'] },
        { name: 'L', children: [{ name: 'Item', children: ['1'] }] },
      ],
    });
  });

  it.each([
    ['', 'no XML element found'],
    ['just text', 'text before the root element'],
    ['<xml><A>1</A>', 'unclosed <xml>'],
    ['<xml><A>1</B></xml>', 'does not match'],
    ['<xml></xml><xml></xml>', 'a second root element'],
    ['<xml></xml>trailing', 'text after the root element'],
    ['<xml>a & b</xml>', 'invalid entity reference'],
    ['<xml>&lol;</xml>', 'invalid entity reference'],
    ['<xml>&#x110000;</xml>', 'invalid entity reference'],
    ['<xml>a < b</xml>', 'expected a tag name'],
    ['<xml a=1></xml>', 'malformed tag <xml>'],
    ['<xml><!-- open</xml>', 'unclosed comment'],
    ['<xml><![CDATA[open</xml>', 'unclosed CDATA section'],
    ['<!DOCTYPE x [<!ENTITY e "e">]><xml>&e;</xml>', 'DOCTYPE'],
    ['<xml><!ENTITY e "e"></xml>', 'DOCTYPE'],
    ['</xml>', 'without an opening tag'],
    [`${'<a>'.repeat(17)}${'</a>'.repeat(17)}`, 'nesting deeper than 16'],
  ])('refuses %j', (doc, why) => {
    expect(refused(doc)).toContain(why);
  });

  it('says where the document broke', () => {
    expect(refused('<xml>\n  <A>1</B>\n</xml>')).toMatch(/line 2, column 7/);
  });

  it('decodes a reference to U+0000 or to a lone surrogate as that code point, for the caller to replace', () => {
    expect(parseXml('<xml>a&#0;b&#xD800;c\u0000</xml>').children).toEqual(['a\u0000b\ud800c\u0000']);
  });
});

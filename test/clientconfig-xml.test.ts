// The escaping helper and the strict XML reader used for autodiscover requests: a table of
// documents it must read, a table it must refuse, and an escape/parse round trip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, isXmlText, parseStrictXml, XmlSyntaxError } from '../src/web/clientconfig/xml.ts';
import { parseAutodiscoverRequest, AutodiscoverRequestError, autodiscoverError } from '../src/web/clientconfig/autodiscover.ts';

test('escapeXml: the five markup characters, and characters XML cannot carry', () => {
  assert.equal(escapeXml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&apos;y&apos;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeXml(993), '993');
  assert.equal(escapeXml('a\u0000b\u001bc\uFFFEd'), 'a\uFFFDb\uFFFDc\uFFFDd');
  assert.equal(escapeXml('tab\tnl\ncr\r ok'), 'tab\tnl\ncr\r ok');
  assert.equal(escapeXml('lone \uD800 surrogate, pair \uD83D\uDCE7'), 'lone \uFFFD surrogate, pair \uD83D\uDCE7');
  assert.equal(isXmlText('fine ✉'), true);
  assert.equal(isXmlText('bell\u0007'), false);
  assert.equal(isXmlText('bell\u0007'), false, 'no lastIndex state between calls');
});

test('escapeXml → parseStrictXml round trip restores the text', () => {
  for (const s of ["o'b&r@example.com", '<script>"x"</script>', ']]> &amp; &#65;', 'ünïcødé ✉ 📧', '  spaced  ']) {
    assert.equal(parseStrictXml(`<a t="${escapeXml(s)}">${escapeXml(s)}</a>`).text, s);
    assert.equal(parseStrictXml(`<a t="${escapeXml(s)}"/>`).attributes.t, s);
  }
});

test('parseStrictXml: reads what well-formed requests contain', () => {
  const doc = parseStrictXml(
    '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<!-- c -->\n<p:Root xmlns:p="urn:p" xmlns="urn:d" a=\'1>2\'>' +
      '<Child b="&quot;q&quot;">x &amp; y &#65;&#x42; &lt;z&gt;</Child><Empty/><p:Pref/></p:Root>\n<!-- after -->\n',
  );
  assert.equal(doc.name, 'Root');
  assert.equal(doc.namespace, 'urn:p');
  assert.equal(doc.attributes.a, '1>2');
  assert.deepEqual(doc.children.map((c) => [c.name, c.namespace]), [['Child', 'urn:d'], ['Empty', 'urn:d'], ['Pref', 'urn:p']]);
  assert.equal(doc.children[0].text, 'x & y AB <z>');
  assert.equal(doc.children[0].attributes.b, '"q"');
});

test('parseStrictXml: refuses declarations, unknown entities and malformed markup', () => {
  const refused: [string, RegExp][] = [
    ['<!DOCTYPE a><a/>', /DOCTYPE/],
    ['<!doctype a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>', /DOCTYPE/],
    ['<a><!ENTITY e "x"></a>', /ENTITY/],
    ['<a>&e;</a>', /entity reference/],
    ['<a>&nbsp;</a>', /entity reference/],
    ['<a>&constructor;</a>', /entity reference/],
    ['<a t="&toString;"/>', /entity reference/],
    ['<a>&#0;</a>', /character reference/],
    ['<a>&#xD800;</a>', /character reference/],
    ['<a>fish & chips</a>', /bare "&"/],
    ['<a><![CDATA[x]]></a>', /CDATA/],
    ['<a><?php x ?></a>', /processing instructions/],
    ['<a>]]></a>', /\]\]>/],
    ['<a>\u0001</a>', /control characters/],
    ['<a><b></a></b>', /does not match/],
    ['<a>', /not closed/],
    ['</a>', /unexpected end tag/],
    ['<a/><b/>', /more than one root/],
    ['text<a/>', /outside the root/],
    ['', /no root/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a x=1/>', /quoted value/],
    ['<a x="1"y="2"/>', /white space/],
    ['<a x="<"/>', /quoted value|unterminated/],
    ['<q:a/>', /undeclared namespace prefix/],
    ['<a><!-- x -- y --></a>', /"--"/],
    ['<a><!-- open', /unterminated comment/],
    ['<a b="1"', /unterminated tag/],
    ['<1a/>', /malformed tag/],
    ['<a>' + '<b>'.repeat(40) + '</b>'.repeat(40) + '</a>', /nested too deeply/],
    ['<a>' + '<b/>'.repeat(1001) + '</a>', /too many elements/],
  ];
  for (const [input, why] of refused) {
    assert.throws(() => parseStrictXml(input), (err: unknown) => err instanceof XmlSyntaxError && why.test(err.message), input.slice(0, 60));
  }
});

test('parseAutodiscoverRequest: Outlook request, prefixed request, missing parts, other schemas', () => {
  const outlook =
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
    '<Request><EMailAddress> user@example.com </EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>';
  assert.equal(parseAutodiscoverRequest(outlook).emailAddress, 'user@example.com');
  const prefixed = '<ad:Autodiscover xmlns:ad="urn:x"><ad:Request><ad:EMailAddress>u@example.com</ad:EMailAddress></ad:Request></ad:Autodiscover>';
  assert.deepEqual(parseAutodiscoverRequest(prefixed), { emailAddress: 'u@example.com', acceptableResponseSchema: null });
  const code = (body: string): number => {
    try {
      parseAutodiscoverRequest(body);
    } catch (err) {
      if (err instanceof AutodiscoverRequestError) return err.code;
      throw err;
    }
    return 0;
  };
  assert.equal(code('<Autodiscover/>'), 600);
  assert.equal(code('<Autodiscover><Request><EMailAddress>  </EMailAddress></Request></Autodiscover>'), 600);
  assert.equal(code(outlook.replace('outlook/responseschema/2006a', 'mobilesync/responseschema/2006')), 601);
  assert.equal(code('<!DOCTYPE x>' + outlook.replace(/^<\?xml[^>]*>/, '')), 600);
});

test('autodiscoverError: the message is escaped into a well-formed error document', () => {
  const doc = autodiscoverError(600, 'bad <input> & "more"', new Date('2026-01-02T03:04:05.678Z'));
  assert.match(doc, /<Error Time="03:04:05\.678" Id="0">/);
  const root = parseStrictXml(doc);
  const error = root.children[0].children[0];
  assert.equal(error.children.find((c) => c.name === 'Message')?.text, 'bad <input> & "more"');
  assert.equal(error.children.find((c) => c.name === 'ErrorCode')?.text, '600');
});

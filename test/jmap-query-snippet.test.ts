// SearchSnippet/get over real HTTP (RFC 8621 §5): marked, escaped subjects and body previews.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { mailFixture, type MailFixture } from './helpers/jmap-mail.ts';

describe('SearchSnippet/get', () => {
  let jmap: JmapTestServer;
  let mail: MailFixture;
  const id: Record<string, string> = {};

  before(async () => {
    jmap = await startJmapServer();
    mail = await mailFixture(jmap);
    id.tags = (await mail.add('INBOX', { subject: 'Use <mark> & <b> for Zebra tags', from: 'a@example.org', body: 'Plain words first. Then the zebra & the <lion> walk in.' })).id;
    id.long = (await mail.add('INBOX', {
      subject: 'Weekly report', from: 'b@example.org',
      body: 'Intro. ' + 'Filler sentence with nothing in it. '.repeat(30) + 'The ZEBRA count is up. ' + 'More filler after the match. '.repeat(30),
    })).id;
    id.plain = (await mail.add('INBOX', { subject: 'Nothing here', from: 'c@example.org', body: 'No animals.' })).id;
    id.unicode = (await mail.add('INBOX', { subject: 'Grüße aus Zürich', from: 'd@example.org', body: 'Schöne Grüße aus ZÜRICH, ' + 'ä'.repeat(300) })).id;
  });
  after(() => jmap.stop());

  const snippets = async (args: Record<string, unknown>) => {
    const [[name, result]] = await jmap.call([['SearchSnippet/get', { accountId: jmap.accountId, ...args }, 's']]);
    return name === 'error' ? { error: result.type } : result;
  };

  it('marks the text terms in subject and preview, HTML-escaped (RFC 8621 §5.1)', async () => {
    const r = await snippets({ filter: { text: 'zebra' }, emailIds: [id.tags, id.plain] });
    assert.equal(r.notFound, null);
    const [tags, plain] = r.list;
    assert.equal(tags.emailId, id.tags);
    assert.equal(tags.subject, 'Use &lt;mark&gt; &amp; &lt;b&gt; for <mark>Zebra</mark> tags');
    assert.match(tags.preview, /the <mark>zebra<\/mark> &amp; the &lt;lion&gt; walk in\./);
    assert.deepEqual(plain, { emailId: id.plain, subject: null, preview: null });
  });

  it('shows the part of a long body around the match, at most 255 octets', async () => {
    const r = await snippets({ filter: { body: 'zebra' }, emailIds: [id.long, id.unicode] });
    const [long, unicode] = r.list;
    assert.equal(long.subject, null, 'a body condition does not mark the subject');
    assert.match(long.preview, /The <mark>ZEBRA<\/mark> count is up\./);
    assert.ok(Buffer.byteLength(long.preview) <= 255, `${Buffer.byteLength(long.preview)} octets`);
    assert.ok(!long.preview.startsWith('Intro'), 'starts near the match, not at the top');
    assert.equal(unicode.preview, null);
    const u = (await snippets({ filter: { text: 'zürich' }, emailIds: [id.unicode] })).list[0];
    assert.equal(u.subject, 'Grüße aus <mark>Zürich</mark>');
    assert.match(u.preview, /Schöne Grüße aus <mark>ZÜRICH<\/mark>, ä/);
    assert.ok(Buffer.byteLength(u.preview) <= 255, `${Buffer.byteLength(u.preview)} octets`);
  });

  it('takes terms from subject conditions and nested operators, phrases whole, but not from under NOT', async () => {
    const r = await snippets({
      filter: { operator: 'AND', conditions: [{ subject: 'weekly' }, { operator: 'OR', conditions: [{ body: '"count is"' }] }, { operator: 'NOT', conditions: [{ text: 'filler' }] }] },
      emailIds: [id.long],
    });
    assert.equal(r.list[0].subject, '<mark>Weekly</mark> report');
    assert.match(r.list[0].preview, /ZEBRA <mark>count is<\/mark> up/);
    assert.ok(!r.list[0].preview.includes('<mark>Filler'), 'NOT terms are not marked');
  });

  it('answers notFound, null snippets without a filter, and refuses bad input', async () => {
    const r = await snippets({ emailIds: [id.tags, 'Ezzzz', 'junk'] });
    assert.deepEqual(r.list, [{ emailId: id.tags, subject: null, preview: null }]);
    assert.deepEqual(r.notFound, ['Ezzzz', 'junk']);
    assert.deepEqual(await snippets({ filter: { text: 'x' } }), { error: 'invalidArguments' });
    assert.deepEqual(await snippets({ filter: { what: 'x' }, emailIds: [] }), { error: 'unsupportedFilter' });
    assert.deepEqual(await snippets({ emailIds: Array.from({ length: 1001 }, (_, i) => `E${i + 1}`) }), { error: 'requestTooLarge' });
  });
});

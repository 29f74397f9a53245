// Email/query over real HTTP (RFC 8621 §4.4, RFC 8620 §5.5): every FilterCondition, the
// operators, every sort property, collapseThreads, the window arguments and the errors.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { mailFixture, type MailFixture } from './helpers/jmap-mail.ts';

const T0 = Date.UTC(2024, 0, 10, 12, 0, 0);
const HOUR = 3600_000;

describe('Email/query', () => {
  let jmap: JmapTestServer;
  let mail: MailFixture;
  let inbox: string;
  let sent: string;
  const id: Record<string, string> = {};
  const thread: Record<string, string> = {};

  before(async () => {
    jmap = await startJmapServer();
    mail = await mailFixture(jmap);
    const add = async (name: string, box: string, m: Parameters<MailFixture['add']>[1], flags: string[], hours: number) => {
      const r = await mail.add(box, m, { flags, receivedAt: T0 + hours * HOUR });
      id[name] = r.id;
      thread[name] = r.threadId;
    };
    await add('a', 'INBOX', {
      from: 'Alice Smith <alice@example.org>', to: 'Bob <bob@example.org>', subject: 'Project kickoff', date: 'Tue, 09 Jan 2024 08:00:00 +0000',
      messageId: 'a@example.org', body: 'Let us start the zebra project on Monday.',
    }, ['\\Seen'], 1);
    await add('b', 'INBOX', {
      from: 'Carol <carol@example.org>', to: 'Dave <dave@example.org>', cc: 'alice@example.org', subject: 'Re: Project kickoff',
      date: 'Wed, 10 Jan 2024 14:00:00 +0000', messageId: 'b@example.org', inReplyTo: 'a@example.org', body: 'Monday works for me.',
    }, ['$important'], 2);
    await add('c', 'INBOX', {
      from: 'bob@example.org', to: 'alice@example.com', subject: 'lunch', date: 'Mon, 08 Jan 2024 09:00:00 +0000',
      body: 'Pizza? Grüße aus Zürich', attachment: true,
    }, ['\\Flagged', '\\Seen'], 3);
    await add('d', 'INBOX', {
      from: 'Billing <billing@shop.example>', to: 'alice@example.com', bcc: 'secret@example.org', subject: 'Invoice 42',
      headers: ['X-Priority: 1 (Highest)'], body: 'Your invoice for the zebra costume. ' + 'Padding text. '.repeat(40),
    }, ['$label'], 4);
    await add('e', 'Sent', {
      from: 'alice@example.com', to: 'alice@example.org', subject: 'Re: Project kickoff', date: 'Wed, 10 Jan 2024 15:30:00 +0000',
      messageId: 'e@example.com', inReplyTo: 'a@example.org', body: 'See you Monday.',
    }, ['\\Seen'], 5);
    await add('gone', 'INBOX', { from: 'x@example.org', subject: 'Gone zebra', body: 'deleted' }, ['\\Deleted'], 6);
    inbox = await mail.mailboxJmapId('INBOX');
    sent = await mail.mailboxJmapId('Sent');
  });
  after(() => jmap.stop());

  const query = async (args: Record<string, unknown>) => {
    const [[name, result]] = await jmap.call([['Email/query', { accountId: jmap.accountId, ...args }, 'q']]);
    return { name, result };
  };
  const ids = async (args: Record<string, unknown>): Promise<string[]> => {
    const { name, result } = await query(args);
    assert.equal(name, 'Email/query', JSON.stringify(result));
    return result.ids;
  };
  const names = (list: string[]) => list.map((x) => Object.keys(id).find((k) => id[k] === x) ?? x);
  const byDate = { sort: [{ property: 'receivedAt', isAscending: false }] };

  it('lists a mailbox newest first, without messages marked \\Deleted (RFC 8621 §4.1.1)', async () => {
    const { name, result } = await query({ filter: { inMailbox: inbox }, ...byDate, calculateTotal: true });
    assert.equal(name, 'Email/query');
    assert.deepEqual(names(result.ids), ['d', 'c', 'b', 'a']);
    assert.equal(result.total, 4);
    assert.equal(result.position, 0);
    assert.equal(result.canCalculateChanges, true);
    assert.match(result.queryState, /^s[0-9a-z]+$/);
    assert.equal(result.limit, 1000, 'no limit given: the server says its cap');
    assert.equal((await query({ limit: 2 })).result.limit, undefined, 'a limit under the cap is not echoed');
    assert.equal((await query({ limit: 5000 })).result.limit, 1000);
  });

  it('answers the RFC 8621 §4.10 example shape: collapseThreads, position, limit, calculateTotal', async () => {
    const { result } = await query({ filter: { inMailbox: inbox }, ...byDate, collapseThreads: true, position: 0, limit: 20, calculateTotal: true });
    assert.deepEqual(names(result.ids), ['d', 'c', 'b'], 'a and b share a thread: only b, the first in sort order');
    assert.equal(result.total, 3);
  });

  it('collapses a thread spanning INBOX and Sent to its first Email in sort order (RFC 8621 §4.4.3)', async () => {
    assert.equal(thread.a, thread.b);
    assert.equal(thread.a, thread.e);
    assert.deepEqual(names(await ids({ ...byDate, collapseThreads: true })), ['e', 'd', 'c']);
    assert.deepEqual(names(await ids({ sort: [{ property: 'receivedAt', isAscending: true }], collapseThreads: true })), ['a', 'c', 'd']);
    assert.deepEqual(names(await ids({ filter: { inMailbox: sent }, collapseThreads: true })), ['e']);
    assert.deepEqual(names(await ids({ ...byDate, collapseThreads: true, position: 1, limit: 1 })), ['d']);
    assert.equal((await query({ collapseThreads: true, calculateTotal: true })).result.total, 3);
  });

  it('evaluates every FilterCondition of RFC 8621 §4.4.1', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ inMailbox: sent }, ['e']],
      [{ inMailboxOtherThan: [inbox] }, ['e']],
      [{ inMailboxOtherThan: [sent] }, ['d', 'c', 'b', 'a']],
      [{ before: new Date(T0 + 2 * HOUR).toISOString() }, ['a']],
      [{ after: new Date(T0 + 4 * HOUR).toISOString() }, ['e', 'd']],
      [{ after: '2024-01-10T14:00:00Z', before: '2024-01-10T15:00:00Z' }, ['b']],
      [{ hasKeyword: '$seen' }, ['e', 'c', 'a']],
      [{ hasKeyword: '$FLAGGED' }, ['c']],
      [{ hasKeyword: '$label' }, ['d']],
      [{ notKeyword: '$seen' }, ['d', 'b']],
      [{ allInThreadHaveKeyword: '$seen' }, ['c']],
      [{ someInThreadHaveKeyword: '$important' }, ['e', 'b', 'a']],
      [{ noneInThreadHaveKeyword: '$seen' }, ['d']],
      [{ hasAttachment: true }, ['c']],
      [{ hasAttachment: false }, ['e', 'd', 'b', 'a']],
      [{ text: 'zebra' }, ['d', 'a']],
      [{ text: 'ZÜRICH' }, ['c']],
      [{ text: 'zebra monday' }, ['a']],
      // ASCII terms match from the start of a word (the word index); others anywhere.
      [{ text: 'zebr' }, ['d', 'a']],
      [{ text: 'ebra' }, []],
      [{ text: 'ürich' }, ['c']],
      [{ text: '"zebra project"' }, ['a']],
      [{ text: '"project zebra"' }, []],
      [{ text: 'carol@example.org' }, ['b']],
      [{ from: 'alice' }, ['e', 'a']],
      [{ from: 'Smith' }, ['a']],
      [{ to: 'dave' }, ['b']],
      [{ cc: 'alice@example.org' }, ['b']],
      [{ bcc: 'secret' }, ['d']],
      [{ subject: 'kickoff' }, ['e', 'b', 'a']],
      [{ subject: 're:' }, ['e', 'b']],
      [{ body: 'monday' }, ['e', 'b', 'a']],
      [{ body: 'kickoff' }, []],
      [{ body: 'invoice' }, ['d']],
      [{ body: 'zebra', inMailbox: inbox }, ['d', 'a']],
      [{ header: ['X-Priority'] }, ['d']],
      [{ header: ['x-priority', 'highest'] }, ['d']],
      [{ header: ['X-Priority', 'lowest'] }, []],
      [{ header: ['In-Reply-To', 'a@example.org'] }, ['e', 'b']],
      [{ minSize: 400 }, ['d', 'c']],
      [{ maxSize: 400 }, ['e', 'b', 'a']],
      [{ inMailbox: 'Mzzzz' }, []],
    ];
    for (const [filter, expected] of cases) {
      assert.deepEqual(names(await ids({ filter, ...byDate })), expected, JSON.stringify(filter));
    }
  });

  it('nests AND, OR and NOT (RFC 8620 §5.5 FilterOperator)', async () => {
    const music = { operator: 'OR', conditions: [{ hasKeyword: '$label' }, { hasKeyword: '$important' }] };
    assert.deepEqual(names(await ids({ filter: music, ...byDate })), ['d', 'b']);
    assert.deepEqual(names(await ids({ filter: { operator: 'NOT', conditions: [{ hasKeyword: '$seen' }, { inMailbox: sent }] }, ...byDate })), ['d', 'b']);
    assert.deepEqual(names(await ids({
      filter: { operator: 'AND', conditions: [{ inMailbox: inbox }, { operator: 'OR', conditions: [{ body: 'pizza' }, { operator: 'NOT', conditions: [{ text: 'zebra' }] }] }] },
      ...byDate,
    })), ['c', 'b']);
    assert.deepEqual(names(await ids({ filter: { operator: 'AND', conditions: [] }, ...byDate })), ['e', 'd', 'c', 'b', 'a']);
    assert.deepEqual(names(await ids({ filter: { operator: 'OR', conditions: [] }, ...byDate })), []);
  });

  it('sorts by every advertised property, with isAscending and collations (RFC 8621 §4.4.2)', async () => {
    const sorted = async (...sort: Record<string, unknown>[]) => names(await ids({ sort }));
    assert.deepEqual(await sorted({ property: 'receivedAt' }), ['a', 'b', 'c', 'd', 'e']);
    // d has no Date: header and sorts by its received date (RFC 5256 §2.2).
    assert.deepEqual(await sorted({ property: 'sentAt' }), ['c', 'a', 'b', 'e', 'd']);
    assert.deepEqual(await sorted({ property: 'sentAt', isAscending: false }), ['d', 'e', 'b', 'a', 'c']);
    const bySize = await sorted({ property: 'size' });
    assert.deepEqual(bySize.slice(-2), ['c', 'd']);
    // Base subjects: "Invoice 42", "lunch", "Project kickoff" ×3 (ties: newest first).
    assert.deepEqual(await sorted({ property: 'subject' }), ['d', 'c', 'e', 'b', 'a']);
    assert.deepEqual(await sorted({ property: 'subject', collation: 'i;octet' }), ['d', 'e', 'b', 'a', 'c'], 'octets: "l" after "P"');
    assert.deepEqual(await sorted({ property: 'subject', collation: 'i;unicode-casemap' }), ['d', 'c', 'e', 'b', 'a']);
    assert.deepEqual((await sorted({ property: 'subject', collation: 'i;ascii-numeric' })), ['e', 'd', 'c', 'b', 'a'], 'no digits first: all equal');
    // From: names or else addresses: "Alice Smith", "alice@example.com" (" " before "@"), "Billing", "bob@…", "Carol".
    assert.deepEqual(await sorted({ property: 'from' }), ['a', 'e', 'd', 'c', 'b']);
    assert.deepEqual(await sorted({ property: 'from', collation: 'i;octet' }), ['a', 'd', 'b', 'e', 'c']);
    // To: "alice@example.com" ×2, "alice@example.org", "Bob", "Dave".
    assert.deepEqual(await sorted({ property: 'to', isAscending: false }), ['b', 'a', 'e', 'd', 'c']);
    assert.deepEqual(await sorted({ property: 'hasKeyword', keyword: '$seen', isAscending: false }), ['e', 'c', 'a', 'd', 'b']);
    assert.deepEqual(await sorted({ property: 'someInThreadHaveKeyword', keyword: '$important', isAscending: false }), ['e', 'b', 'a', 'd', 'c']);
    assert.deepEqual(await sorted({ property: 'allInThreadHaveKeyword', keyword: '$seen', isAscending: false }, { property: 'receivedAt' }), ['c', 'a', 'b', 'd', 'e']);
    assert.deepEqual(await sorted({ property: 'hasKeyword', keyword: '$seen' }, { property: 'subject', isAscending: false }), ['b', 'd', 'e', 'a', 'c']);
  });

  it('pages with position (negative from the end) and limit (RFC 8620 §5.5)', async () => {
    const page = async (args: Record<string, unknown>) => {
      const { result } = await query({ ...byDate, ...args });
      return { ids: names(result.ids), position: result.position };
    };
    assert.deepEqual(await page({ position: 1, limit: 2 }), { ids: ['d', 'c'], position: 1 });
    assert.deepEqual(await page({ position: -2 }), { ids: ['b', 'a'], position: 3 });
    assert.deepEqual(await page({ position: -100, limit: 1 }), { ids: ['e'], position: 0 }, 'clamped to 0');
    assert.deepEqual(await page({ position: 5 }), { ids: [], position: 5 }, 'past the end: empty, not an error');
    assert.deepEqual(await page({ position: 0, limit: 0 }), { ids: [], position: 0 });
  });

  it('pages from an anchor with anchorOffset, and says anchorNotFound', async () => {
    const page = async (args: Record<string, unknown>) => {
      const { name, result } = await query({ ...byDate, ...args });
      return name === 'error' ? result.type : { ids: names(result.ids), position: result.position };
    };
    assert.deepEqual(await page({ anchor: id.c, limit: 2 }), { ids: ['c', 'b'], position: 2 });
    assert.deepEqual(await page({ anchor: id.c, anchorOffset: -1, limit: 2 }), { ids: ['d', 'c'], position: 1 });
    assert.deepEqual(await page({ anchor: id.d, anchorOffset: -5, limit: 2 }), { ids: ['e', 'd'], position: 0 }, 'clamped to 0');
    assert.deepEqual(await page({ anchor: id.a, anchorOffset: 3 }), { ids: [], position: 7 });
    assert.deepEqual(await page({ anchor: id.c, position: 4, limit: 1 }), { ids: ['c'], position: 2 }, 'position is ignored with an anchor');
    assert.deepEqual(await page({ anchor: id.a, collapseThreads: true }), 'anchorNotFound', 'a is collapsed away under e');
    assert.deepEqual(await page({ anchor: id.e, filter: { inMailbox: inbox } }), 'anchorNotFound');
    assert.deepEqual(await page({ anchor: id.gone }), 'anchorNotFound', 'a message marked \\Deleted is not visible');
    assert.deepEqual(await page({ anchor: 'not-an-id' }), 'anchorNotFound');
  });

  it('refuses bad input with the RFC 8620 §5.5 errors', async () => {
    const error = async (args: Record<string, unknown>) => {
      const { name, result } = await query(args);
      assert.equal(name, 'error', JSON.stringify(args));
      return result.type;
    };
    assert.equal(await error({ filter: { colour: 'red' } }), 'unsupportedFilter');
    assert.equal(await error({ filter: { operator: 'AND', conditions: [{ inMailbox: inbox }, { nope: 1 }] } }), 'unsupportedFilter');
    assert.equal(await error({ filter: { inMailbox: 5 } }), 'invalidArguments');
    assert.equal(await error({ filter: { before: 'yesterday' } }), 'invalidArguments');
    assert.equal(await error({ filter: { minSize: -1 } }), 'invalidArguments');
    assert.equal(await error({ filter: { hasKeyword: 'a b' } }), 'invalidArguments');
    assert.equal(await error({ filter: { header: [] } }), 'invalidArguments');
    assert.equal(await error({ filter: { header: ['a', 'b', 'c'] } }), 'invalidArguments');
    assert.equal(await error({ filter: { operator: 'XOR', conditions: [] } }), 'invalidArguments');
    assert.equal(await error({ filter: { operator: 'AND' } }), 'invalidArguments');
    assert.equal(await error({ filter: 'inbox' }), 'invalidArguments');
    assert.equal(await error({ sort: [{ property: 'colour' }] }), 'unsupportedSort');
    assert.equal(await error({ sort: [{ property: 'subject', collation: 'i;klingon' }] }), 'unsupportedSort');
    assert.equal(await error({ sort: [{ property: 'hasKeyword' }] }), 'invalidArguments');
    assert.equal(await error({ sort: [{ property: 'size', isAscending: 'yes' }] }), 'invalidArguments');
    assert.equal(await error({ sort: { property: 'size' } }), 'invalidArguments');
    assert.equal(await error({ position: 1.5 }), 'invalidArguments');
    assert.equal(await error({ limit: -1 }), 'invalidArguments');
    assert.equal(await error({ collapseThreads: 'yes' }), 'invalidArguments');
    assert.equal(await error({ unknownArgument: true }), 'invalidArguments');
    // Depth and size are bounded.
    let deep: Record<string, unknown> = { hasKeyword: '$seen' };
    for (let i = 0; i < 20; i++) deep = { operator: 'NOT', conditions: [deep] };
    assert.equal(await error({ filter: deep }), 'unsupportedFilter');
    const wide = { operator: 'OR', conditions: Array.from({ length: 300 }, () => ({ hasKeyword: '$seen' })) };
    assert.equal(await error({ filter: wide }), 'unsupportedFilter');
    // A method of the mail capability needs it in "using" (RFC 8620 §3.6.2).
    const [[name]] = await jmap.call([['Email/query', {}, 'q']], ['urn:ietf:params:jmap:core']);
    assert.equal(name, 'error');
  });
});

// The smallest SMTP server that hands each message to an LMTP server: Cyrus's outgoing mail
// (EmailSubmission, vacation replies) goes to its smtp_host, and this delivers it back into
// Cyrus's own lmtpd, so a message submitted by one test user arrives in the other's INBOX
// without any mail leaving the machine. Loopback only; no queue (a refused delivery is a
// refused DATA); enough of RFC 5321 for Cyrus's smtpclient, not a general relay.

import net from 'node:net';

export interface Relay { port: number; close(): Promise<void> }

/** Reads whole replies (the last line of a multi-line one) off a socket, in order. */
function replyReader(s: net.Socket): () => Promise<string> {
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\r\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (line[3] === '-') continue;
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  s.on('close', () => waiting.splice(0).forEach((w) => w('421 connection closed')));
  return () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

/** One LMTP transaction (RFC 2033 §4.2): one reply per accepted recipient after the dot. */
async function lmtpDeliver(port: number, from: string, rcpts: string[], data: string): Promise<void> {
  const s = net.connect({ port, host: '127.0.0.1' });
  const reply = replyReader(s);
  const expect = async (what: string): Promise<string> => {
    const line = await reply();
    if (!/^[23]/.test(line)) throw new Error(`LMTP ${what}: ${line}`);
    return line;
  };
  try {
    await expect('greeting');
    s.write('LHLO relay.localhost\r\n');
    await expect('LHLO');
    s.write(`MAIL FROM:<${from}>\r\n`);
    await expect('MAIL');
    let accepted = 0;
    for (const r of rcpts) {
      s.write(`RCPT TO:<${r}>\r\n`);
      if (/^2/.test(await reply())) accepted++;
    }
    if (accepted === 0) throw new Error('LMTP: no recipient accepted');
    s.write('DATA\r\n');
    await expect('DATA');
    s.write(`${data}.\r\n`);
    for (let i = 0; i < accepted; i++) await expect('delivery');
    s.write('QUIT\r\n');
  } finally {
    s.end();
  }
}

export async function startSmtpToLmtp(lmtpPort: number): Promise<Relay> {
  const server = net.createServer((c) => {
    c.setEncoding('latin1');
    let buf = '';
    let from = '';
    let rcpts: string[] = [];
    let inData = false;
    let data = '';
    c.write('220 relay.localhost ESMTP\r\n');
    c.on('error', () => c.destroy());
    c.on('data', async (d: string) => {
      buf += d;
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = data === '' && buf.startsWith('.\r\n');
          if (end === -1 && !atStart) return;
          // Kept dot-stuffed: LMTP's DATA has the same transparency rule (RFC 5321 §4.5.2).
          data += atStart ? '' : buf.slice(0, end + 2);
          buf = buf.slice(atStart ? 3 : end + 5);
          inData = false;
          c.pause();
          try {
            await lmtpDeliver(lmtpPort, from, rcpts, data);
            c.write('250 delivered\r\n');
          } catch (e) {
            c.write(`554 ${(e as Error).message}\r\n`);
          }
          from = '';
          rcpts = [];
          data = '';
          c.resume();
          continue;
        }
        const i = buf.indexOf('\r\n');
        if (i === -1) return;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') c.write('250-relay.localhost\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n');
        else if (verb === 'HELO') c.write('250 relay.localhost\r\n');
        else if (verb === 'MAIL') (from = /<([^>]*)>/.exec(line)?.[1] ?? ''), c.write('250 ok\r\n');
        else if (verb === 'RCPT') rcpts.push(/<([^>]*)>/.exec(line)?.[1] ?? ''), c.write('250 ok\r\n');
        else if (verb === 'DATA') {
          if (rcpts.length === 0) c.write('503 no recipients\r\n');
          else (inData = true), c.write('354 go on\r\n');
        } else if (verb === 'RSET') (from = ''), (rcpts = []), c.write('250 ok\r\n');
        else if (verb === 'NOOP') c.write('250 ok\r\n');
        else if (verb === 'QUIT') return void c.end('221 bye\r\n');
        else c.write('502 not implemented\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

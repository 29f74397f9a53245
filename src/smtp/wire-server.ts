// nodemailer's smtp-server, adapted in the one place it does not fit: enhanced status codes
// (RFC 3463). smtp-server derives the enhanced code of an application error from the basic code
// alone (554 → 5.6.0, 553 → 5.1.3), which cannot express "554 5.7.1 relay denied" or
// "553 5.7.1 sender not owned". Our errors (SmtpReply) carry their enhanced code at the head of
// the message; PosthornConnection lifts it out and uses it instead of the derived one.
//
// This relies on two documented-in-d.ts members of SMTPConnection (send, _getEnhancedStatusCode)
// and on SMTPServer.connect's four lines, reproduced in PosthornSmtpServer.connect. smtp-server is
// pinned in package.json; test/smtp-inbound.test.ts asserts every code, so an upgrade that
// changes these internals fails the tests rather than the wire.

import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

const LEADING_ENHANCED = /^([245]\.\d{1,3}\.\d{1,3}) (.*)$/s;

class PosthornConnection extends SMTPConnection {
  private enhancedOverride: string | null = null;

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const m = typeof data === 'string' ? LEADING_ENHANCED.exec(data) : null;
    if (!m) return super.send(code, data, context);
    this.enhancedOverride = m[1];
    try {
      super.send(code, m[2], context);
    } finally {
      this.enhancedOverride = null;
    }
  }

  override _getEnhancedStatusCode(code: number, context?: string | false): string {
    if (this.enhancedOverride && this._useEnhancedStatusCodes()) return this.enhancedOverride;
    return super._getEnhancedStatusCode(code, context);
  }
}

interface ServerInternals {
  _onError(err: Error): void;
  _onClientConnect(data: unknown): void;
}

export class PosthornSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions, secureContext: tls.SecureContext) {
    super(options);
    // The server's certificate comes from src/server/tls.ts (configured or generated), not
    // from smtp-server's built-in test certificate: replace the default context it built.
    this.secureContext.set('*', secureContext);
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: object | null): void {
    const internals = this as unknown as ServerInternals;
    // Replies are small writes answering pipelined commands (RFC 2920); with Nagle's algorithm
    // each one after the first waits for the client's delayed ACK (~40 ms on Linux).
    socket.setNoDelay(true);
    const connection = new PosthornConnection(this, socket, socketOptions as never);
    this.connections.add(connection);
    connection.on('error', (err: Error) => internals._onError(err));
    connection.on('connect', (data: unknown) => internals._onClientConnect(data));
    connection.init();
  }
}

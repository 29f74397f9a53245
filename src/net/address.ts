// Client addresses as limits and logs see them.

import type net from 'node:net';

/** Normalises "::ffff:127.0.0.1" to "127.0.0.1" so limits and logs see one form per client. */
export function normaliseIp(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function remoteIp(socket: net.Socket): string {
  return normaliseIp(socket.remoteAddress ?? 'unknown');
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

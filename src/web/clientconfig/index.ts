// Client set-up over HTTP (issue 6): a user adds an account to Thunderbird, Outlook, Apple Mail or
// an Android client with only address and password. Every answer is generated per request from
// the ports the listeners are bound to, through `clientServices`.
//
// Routes (tried in this order by src/web/server.ts):
//   GET  /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=…   Thunderbird, on DOMAIN
//   GET  /mail/config-v1.1.xml?emailaddress=…                           Thunderbird, on autoconfig.DOMAIN
//   POST /autodiscover/autodiscover.xml (any letter case)               Outlook (POX), also Thunderbird
//   GET  /mobileconfig[?password=1]                                     Apple profile, HTTP Basic auth
//   GET  /settings, /settings.json[?emailaddress=…]                     help-desk page, public
//
// Implementation notes:
// - Unknown domains get 404, never the settings of a domain hosted here; bad addresses get 400
//   and are not echoed. Everything written into XML or HTML goes through escapeXml.
// - Request bodies are bounded (413) and parsed by a reader that refuses DOCTYPE/ENTITY (XXE).
// - /mobileconfig checks the password with the shared Authenticator, so failures count towards
//   the same per-IP and per-account limits as IMAP, POP3 and SMTP (DESIGN.md §6).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../types.ts';
import { clientServices } from './settings.ts';
import { AUTOCONFIG_CONTENT_TYPE, autoconfigUsable, thunderbirdAutoconfig } from './autoconfig.ts';
import {
  AUTODISCOVER_CONTENT_TYPE,
  AutodiscoverRequestError,
  autodiscoverError,
  autodiscoverResponse,
  parseAutodiscoverRequest,
  type AutodiscoverErrorCode,
} from './autodiscover.ts';
import { MOBILECONFIG_CONTENT_TYPE, appleMobileconfig, mobileconfigFilename } from './mobileconfig.ts';
import { normaliseAddress } from '../../mail/address.ts';
import { isXmlText } from './xml.ts';
import { settingsDocument, settingsHtml, settingsJson } from './settings-page.ts';
import { readBody } from '../request-body.ts';
import { basicCredentials, domainFromHost, hostedAddress, hostedDomain, methodNotAllowed, MAX_REQUEST_BODY_BYTES, remoteIp, send, sendText } from './http.ts';

const isRead = (req: IncomingMessage): boolean => req.method === 'GET' || req.method === 'HEAD';

// Thunderbird autoconfig: https://wiki.mozilla.org/Thunderbird:Autoconfiguration (lookup URLs).
// Each path, and the host label to strip when the domain has to come from the Host header.
const AUTOCONFIG_PATHS = new Map<string, string | undefined>([
  ['/.well-known/autoconfig/mail/config-v1.1.xml', undefined],
  ['/mail/config-v1.1.xml', 'autoconfig'],
]);

export const autoconfigRoute: Route = async (req, res, url, ctx) => {
  if (!AUTOCONFIG_PATHS.has(url.pathname)) return false;
  if (!isRead(req)) {
    methodNotAllowed(res, 'GET, HEAD');
    return true;
  }
  // Thunderbird can be told not to send the address; then the Host header names the domain.
  const raw = url.searchParams.get('emailaddress');
  let domain: string;
  if (raw !== null) {
    const found = await hostedAddress(raw, ctx);
    if (!found.ok) return refuse(res, found.status, found.message);
    domain = found.domain;
  } else {
    const fromHost = domainFromHost(req, AUTOCONFIG_PATHS.get(url.pathname));
    if (!fromHost) return refuse(res, 400, 'The emailaddress parameter is required.');
    const found = await hostedDomain(fromHost, ctx);
    if (!found.ok) return refuse(res, found.status, found.message);
    domain = found.domain;
  }
  const services = clientServices(ctx);
  if (!autoconfigUsable(services)) return refuse(res, 404, 'This server offers no incoming or no outgoing mail service to clients.');
  ctx.log.debug({ event: 'autoconfig', domain, ip: remoteIp(req), protocol: 'http' });
  send(res, 200, AUTOCONFIG_CONTENT_TYPE, thunderbirdAutoconfig(domain, services));
  return true;
};

function refuse(res: ServerResponse, status: number, message: string): true {
  sendText(res, status, message);
  return true;
}

function autodiscoverFail(res: ServerResponse, status: number, code: AutodiscoverErrorCode, message: string, headers: Record<string, string> = {}): true {
  send(res, status, AUTODISCOVER_CONTENT_TYPE, autodiscoverError(code, message), { headers });
  return true;
}

export const autodiscoverRoute: Route = async (req, res, url, ctx) => {
  if (url.pathname.toLowerCase() !== '/autodiscover/autodiscover.xml') return false;
  if (req.method !== 'POST') return autodiscoverFail(res, 405, 600, 'Invalid Request: use POST', { Allow: 'POST' });
  const read = await readBody(req, MAX_REQUEST_BODY_BYTES);
  if (!read.ok) {
    if (read.status === 413) return autodiscoverFail(res, 413, 600, 'Invalid Request: the request body is too large', { Connection: 'close' });
    return autodiscoverFail(res, 400, 600, 'Invalid Request: the request body could not be read');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read.body);
  } catch {
    return autodiscoverFail(res, 400, 600, 'Invalid Request: the body is not UTF-8');
  }
  let request;
  try {
    request = parseAutodiscoverRequest(text);
  } catch (err) {
    if (!(err instanceof AutodiscoverRequestError)) throw err;
    ctx.log.info({ event: 'autodiscover-rejected', ip: remoteIp(req), protocol: 'http', reason: err.message });
    return autodiscoverFail(res, 400, err.code, err.message);
  }
  const found = await hostedAddress(request.emailAddress, ctx);
  if (!found.ok) {
    if (found.status === 400) return autodiscoverFail(res, 400, 600, 'Invalid Request: EMailAddress is not a valid email address');
    return autodiscoverFail(res, 404, 500, 'The email address is not hosted on this server');
  }
  ctx.log.debug({ event: 'autodiscover', domain: found.domain, ip: remoteIp(req), protocol: 'http' });
  send(res, 200, AUTODISCOVER_CONTENT_TYPE, autodiscoverResponse(found.address, clientServices(ctx)));
  return true;
};

/** RFC 7235 §3.1 / RFC 7617 §2: 401 with a Basic challenge. */
function challenge(res: ServerResponse, message: string): true {
  sendText(res, 401, message, { headers: { 'WWW-Authenticate': 'Basic realm="Posthorn mail", charset="UTF-8"' } });
  return true;
}

export const mobileconfigRoute: Route = async (req, res, url, ctx) => {
  if (url.pathname !== '/mobileconfig') return false;
  if (!isRead(req)) {
    methodNotAllowed(res, 'GET, HEAD');
    return true;
  }
  const credentials = basicCredentials(req);
  if (!credentials) return challenge(res, 'Log in with your email address and password.');
  const ip = remoteIp(req);
  const result = await ctx.auth.authenticate(credentials.username, credentials.password, { ip, protocol: 'http' });
  if (!result.ok) {
    // Only a well-formed address is logged as the account: a password typed into the user field stays out of the log.
    ctx.log.info({ event: 'login-failed', account: normaliseAddress(credentials.username) ?? undefined, ip, protocol: 'http', reason: result.reason, path: url.pathname });
    // RFC 6585 §4: too many failed attempts from this IP or for this account.
    if (result.reason === 'rate-limited') return refuse(res, 429, 'Too many failed logins; try again later.');
    if (result.reason === 'busy') return refuse(res, 503, 'Too many logins in progress; try again.');
    if (result.reason === 'disabled') return refuse(res, 403, 'This account is disabled.');
    return challenge(res, 'Wrong email address or password.');
  }
  const address = result.account.address;
  const hosted = await hostedAddress(address, ctx);
  if (!hosted.ok) return refuse(res, hosted.status, hosted.message);
  const wantsPassword = url.searchParams.get('password') === '1' || url.searchParams.get('password') === 'true';
  if (wantsPassword && !isXmlText(credentials.password)) {
    return refuse(res, 400, 'Your password has characters a profile cannot hold; download the profile without it.');
  }
  const profile = appleMobileconfig({
    address: hosted.address,
    hostname: ctx.hostname,
    services: clientServices(ctx),
    password: wantsPassword ? credentials.password : undefined,
  });
  if (!profile) return refuse(res, 404, 'This server offers no incoming or no outgoing mail service to clients.');
  ctx.log.info({ event: 'mobileconfig', account: hosted.address, ip, protocol: 'http', withPassword: wantsPassword });
  send(res, 200, MOBILECONFIG_CONTENT_TYPE, profile, {
    // Personal, and with ?password=1 a credential: never stored by a cache (RFC 9111 §5.2.2.5).
    cacheControl: 'no-store, private',
    headers: { 'Content-Disposition': `attachment; filename="${mobileconfigFilename(hosted.address)}"` },
  });
  return true;
};

const HTML_SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export const settingsRoute: Route = async (req, res, url, ctx) => {
  const json = url.pathname === '/settings.json';
  if (!json && url.pathname !== '/settings') return false;
  if (!isRead(req)) {
    methodNotAllowed(res, 'GET, HEAD');
    return true;
  }
  let address: string | null = null;
  const raw = url.searchParams.get('emailaddress');
  if (raw !== null && raw !== '') {
    const found = await hostedAddress(raw, ctx);
    if (!found.ok) return refuse(res, found.status, found.message);
    address = found.address;
  }
  const doc = settingsDocument(ctx.hostname, clientServices(ctx), address);
  if (json) send(res, 200, 'application/json; charset=utf-8', settingsJson(doc));
  else send(res, 200, 'text/html; charset=utf-8', settingsHtml(doc), { headers: HTML_SECURITY_HEADERS });
  return true;
};

/**
 * What every listener serves to everyone, in the clear too: documents that hold no secret (a
 * client asks with an address at most). The Apple profile is not among them: it takes the
 * password (HTTP Basic) and may carry it in the profile, so it stands behind the plaintext
 * guard with the application routes (src/server/protocols.ts) and is served over HTTPS only, or
 * in the clear to a loopback client when that is allowed.
 */
export const clientConfigRoutes: Route[] = [autoconfigRoute, autodiscoverRoute, settingsRoute];

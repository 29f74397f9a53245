// Outlook autodiscover, plain-old-XML flavour ([MS-OXDSCLI] Autodiscover Publishing and Lookup
// Protocol, its request and response schemas; "POX Autodiscover XML elements for Exchange").
// Outlook POSTs to https://DOMAIN/autodiscover/autodiscover.xml or
// https://autodiscover.DOMAIN/autodiscover/autodiscover.xml:
//
//   <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
//     <Request><EMailAddress>…</EMailAddress><AcceptableResponseSchema>…2006a</AcceptableResponseSchema></Request>
//   </Autodiscover>
//
// and takes Account/Protocol entries of Type IMAP, POP3 and SMTP. Thunderbird reads the same answer.
// - Encryption "SSL" = TLS from the first byte, "TLS" = STARTTLS. [MS-OXDSCLI], Encryption element:
//   when present it overrides SSL, which older clients read alone (on = implicit TLS).
// - SPA off: SPA is Microsoft's NTLM-style login; we take a password over TLS (AuthRequired on).
// - The request is read with the strict reader of xml.ts: no DOCTYPE, no entities (no XXE).

import { escapeXml, parseStrictXml, child, XmlSyntaxError } from './xml.ts';
import type { MailService } from './settings.ts';

export const AUTODISCOVER_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const OUTLOOK_RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
export const AUTODISCOVER_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** Error codes of the POX Error element: 600 invalid request, 601 no provider for the requested schema. */
export type AutodiscoverErrorCode = 500 | 600 | 601;

export class AutodiscoverRequestError extends Error {
  readonly code: AutodiscoverErrorCode;
  constructor(code: AutodiscoverErrorCode, message: string) {
    super(message);
    this.name = 'AutodiscoverRequestError';
    this.code = code;
  }
}

export interface AutodiscoverRequest {
  /** As sent; the caller validates and normalises it. */
  emailAddress: string;
  /** Absent in some clients' requests; then the Outlook schema is assumed. */
  acceptableResponseSchema: string | null;
}

/** Reads an autodiscover request body. Throws AutodiscoverRequestError (600/601) with a precise message. */
export function parseAutodiscoverRequest(body: string): AutodiscoverRequest {
  let root;
  try {
    root = parseStrictXml(body);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new AutodiscoverRequestError(600, `Invalid Request: ${err.message}`);
    throw err;
  }
  if (root.name !== 'Autodiscover') throw new AutodiscoverRequestError(600, 'Invalid Request: the root element must be <Autodiscover>');
  const request = child(root, 'Request');
  if (!request) throw new AutodiscoverRequestError(600, 'Invalid Request: <Request> is missing');
  const email = child(request, 'EMailAddress');
  if (!email || email.text.trim() === '') throw new AutodiscoverRequestError(600, 'Invalid Request: <EMailAddress> is missing');
  const schema = child(request, 'AcceptableResponseSchema');
  const acceptableResponseSchema = schema ? schema.text.trim() : null;
  if (acceptableResponseSchema !== null && acceptableResponseSchema !== OUTLOOK_RESPONSE_SCHEMA) {
    // Typically the ActiveSync ("mobilesync") schema, which this server does not provide.
    throw new AutodiscoverRequestError(601, 'Provider is not available for the requested response schema');
  }
  return { emailAddress: email.text.trim(), acceptableResponseSchema };
}

const TYPE: Record<MailService['protocol'], string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

function protocolElement(s: MailService, loginName: string): string {
  const implicit = s.security === 'tls';
  return [
    '      <Protocol>',
    `        <Type>${TYPE[s.protocol]}</Type>`,
    `        <Server>${escapeXml(s.host)}</Server>`,
    `        <Port>${escapeXml(s.port)}</Port>`,
    '        <DomainRequired>off</DomainRequired>',
    `        <LoginName>${escapeXml(loginName)}</LoginName>`,
    '        <SPA>off</SPA>',
    `        <SSL>${implicit ? 'on' : 'off'}</SSL>`,
    `        <Encryption>${implicit ? 'SSL' : 'TLS'}</Encryption>`,
    '        <AuthRequired>on</AuthRequired>',
    '      </Protocol>',
  ].join('\n');
}

/** The settings answer for one validated, normalised address. IMAP first, then SMTP, then POP3. */
export function autodiscoverResponse(address: string, services: readonly MailService[]): string {
  const order: MailService['protocol'][] = ['imap', 'smtp', 'pop3'];
  const protocols = order.flatMap((p) => services.filter((s) => s.protocol === p)).map((s) => protocolElement(s, address));
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${AUTODISCOVER_RESPONSE_NS}">`,
    `  <Response xmlns="${OUTLOOK_RESPONSE_SCHEMA}">`,
    '    <User>',
    `      <DisplayName>${escapeXml(address)}</DisplayName>`,
    `      <AutoDiscoverSMTPAddress>${escapeXml(address)}</AutoDiscoverSMTPAddress>`,
    '    </User>',
    '    <Account>',
    '      <AccountType>email</AccountType>',
    '      <Action>settings</Action>',
    ...protocols,
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}

/** The POX error answer (Exchange's shape: Response/Error with Time, Id, ErrorCode, Message, DebugData). */
export function autodiscoverError(code: AutodiscoverErrorCode, message: string, now: Date = new Date()): string {
  const time = now.toISOString().slice(11, 23);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${AUTODISCOVER_RESPONSE_NS}">`,
    '  <Response>',
    `    <Error Time="${escapeXml(time)}" Id="0">`,
    `      <ErrorCode>${code}</ErrorCode>`,
    `      <Message>${escapeXml(message)}</Message>`,
    '      <DebugData />',
    '    </Error>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}

// XML for the client set-up documents: one escaping function for everything we write (XML and
// HTML alike), and a deliberately small, strict reader for the one XML document we accept
// (an Outlook autodiscover request, a handful of elements).
//
// The reader refuses, rather than skips, everything the request never needs:
// - DOCTYPE, ENTITY and every other `<!` declaration: no internal or external entities, so no
//   XXE and no entity-expansion bombs (OWASP XXE Prevention Cheat Sheet; XML 1.0 §4.2).
// - references other than the five predefined entities and character references (XML 1.0 §4.6, §4.1).
// - CDATA sections, processing instructions other than the leading XML declaration.
// Limits: the caller bounds the input size; nesting depth and element count are bounded here.

// XML 1.0 §2.2 Char excludes these (and lone surrogates); no escape can represent them.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** True when `value` can be written into an XML document at all. */
export function isXmlText(value: string): boolean {
  NOT_XML_CHAR.lastIndex = 0;
  return !NOT_XML_CHAR.test(value);
}

/**
 * Escapes text for XML/HTML element content and double- or single-quoted attribute values.
 * Characters XML cannot carry become U+FFFD, so the output is always well-formed; callers that
 * must not alter data (a password) check isXmlText first.
 */
export function escapeXml(value: string | number): string {
  return String(value)
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface XmlElement {
  /** Local name, namespace prefix removed. */
  name: string;
  /** Namespace URI from the default or prefixed xmlns declaration in scope, '' when none. */
  namespace: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const MAX_DEPTH = 32;
const MAX_ELEMENTS = 1000;

// XML 1.0 §2.3 Name, restricted to what the autodiscover schema uses plus common letters.
const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?/;
// A Map, not an object literal: "&constructor;" must not find Object.prototype.constructor.
const PREDEFINED = new Map([['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"]]);

function decodeReferences(raw: string): string {
  return raw.replace(/&([^;]{0,12});|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) throw new XmlSyntaxError('bare "&" (XML 1.0 §2.4)');
    const predefined = PREDEFINED.get(ref);
    if (predefined !== undefined) return predefined;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (!m) throw new XmlSyntaxError(`entity reference "${match}" is not allowed (only the predefined entities)`);
    const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
    const ok = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!ok) throw new XmlSyntaxError(`character reference "${match}" is not a legal XML character`);
    return String.fromCodePoint(code);
  });
}

function parseAttributes(source: string, where: number): Record<string, string> {
  const attributes: Record<string, string> = {};
  let rest = source;
  while (true) {
    const ws = /^\s*/.exec(rest)![0];
    rest = rest.slice(ws.length);
    if (rest === '') return attributes;
    if (ws === '') throw new XmlSyntaxError(`expected white space between attributes at offset ${where}`);
    const name = NAME.exec(rest);
    if (!name) throw new XmlSyntaxError(`malformed attribute at offset ${where}`);
    rest = rest.slice(name[0].length);
    const value = /^\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(rest);
    if (!value) throw new XmlSyntaxError(`attribute "${name[0]}" needs a quoted value at offset ${where}`);
    if (name[0] in attributes) throw new XmlSyntaxError(`duplicate attribute "${name[0]}" (XML 1.0 §3.1)`);
    attributes[name[0]] = decodeReferences(value[1] ?? value[2]);
    rest = rest.slice(value[0].length);
  }
}

function splitName(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  return colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

/** Offset of the '>' closing a start tag, skipping quoted attribute values (which may hold '>'). */
function tagEnd(input: string, from: number): number {
  let quote = '';
  for (let i = from; i < input.length; i++) {
    const c = input[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
    else if (c === '<') break;
  }
  throw new XmlSyntaxError('unterminated tag');
}

interface OpenElement {
  qname: string;
  element: XmlElement;
  scope: Map<string, string>;
}

/** Parses a small XML document into a tree. Throws XmlSyntaxError on anything malformed or refused. */
export function parseStrictXml(input: string): XmlElement {
  if (!isXmlText(input)) throw new XmlSyntaxError('control characters are not allowed in XML (XML 1.0 §2.2)');
  let pos = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  const xmlDecl = /^<\?xml\s[^?]*\?>/.exec(input.slice(pos));
  if (xmlDecl) pos += xmlDecl[0].length;

  const stack: OpenElement[] = [];
  let root: XmlElement | null = null;
  let elements = 0;

  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    const textEnd = lt < 0 ? input.length : lt;
    if (textEnd > pos) {
      const raw = input.slice(pos, textEnd);
      if (raw.includes(']]>')) throw new XmlSyntaxError('"]]>" in character data (XML 1.0 §2.4)');
      const top = stack[stack.length - 1];
      if (top) top.element.text += decodeReferences(raw);
      else if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element');
      pos = textEnd;
      continue;
    }
    if (input.startsWith('<!--', pos)) {
      const end = input.indexOf('-->', pos + 4);
      if (end < 0) throw new XmlSyntaxError('unterminated comment');
      if (input.slice(pos + 4, end).includes('--')) throw new XmlSyntaxError('"--" inside a comment (XML 1.0 §2.5)');
      pos = end + 3;
      continue;
    }
    if (input.startsWith('<!', pos)) {
      const what = /^<!(DOCTYPE|ENTITY|\[CDATA\[)?/i.exec(input.slice(pos))![1] ?? 'declaration';
      throw new XmlSyntaxError(`${what.toUpperCase() === '[CDATA[' ? 'CDATA section' : what.toUpperCase()} is not accepted`);
    }
    if (input.startsWith('<?', pos)) throw new XmlSyntaxError('processing instructions are not accepted');
    if (input.startsWith('</', pos)) {
      const m = /^<\/([^\s>]+)\s*>/.exec(input.slice(pos));
      const open = stack.pop();
      if (!m || !open) throw new XmlSyntaxError(`unexpected end tag at offset ${pos}`);
      if (m[1] !== open.qname) throw new XmlSyntaxError(`end tag </${m[1]}> does not match <${open.qname}>`);
      pos += m[0].length;
      continue;
    }
    // Start tag (XML 1.0 §3.1).
    const name = NAME.exec(input.slice(pos + 1));
    if (!name) throw new XmlSyntaxError(`malformed tag at offset ${pos}`);
    const close = tagEnd(input, pos + 1 + name[0].length);
    let inner = input.slice(pos + 1 + name[0].length, close);
    const selfClosing = inner.endsWith('/');
    if (selfClosing) inner = inner.slice(0, -1);
    const attributes = parseAttributes(inner, pos);
    if (root && stack.length === 0) throw new XmlSyntaxError('more than one root element');
    if (stack.length >= MAX_DEPTH) throw new XmlSyntaxError('elements nested too deeply');
    if (++elements > MAX_ELEMENTS) throw new XmlSyntaxError('too many elements');

    // Namespaces in XML 1.0 §6: declarations on this element apply to it and its descendants.
    const scope = new Map(stack[stack.length - 1]?.scope ?? []);
    for (const [attr, value] of Object.entries(attributes)) {
      if (attr === 'xmlns') scope.set('', value);
      else if (attr.startsWith('xmlns:')) scope.set(attr.slice(6), value);
    }
    const [prefix, local] = splitName(name[0]);
    const namespace = scope.get(prefix);
    if (prefix !== '' && namespace === undefined) throw new XmlSyntaxError(`undeclared namespace prefix "${prefix}"`);
    const element: XmlElement = { name: local, namespace: namespace ?? '', attributes, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.element.children.push(element);
    else root = element;
    if (!selfClosing) stack.push({ qname: name[0], element, scope });
    pos = close + 1;
  }
  if (stack.length > 0) throw new XmlSyntaxError(`element <${stack[stack.length - 1].qname}> is not closed`);
  if (!root) throw new XmlSyntaxError('no root element');
  return root;
}

/** The first child element with this local name, or undefined. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/**
 * A small XML writer for responses built from plain objects: an object becomes child elements, a
 * `Date` its ISO-8601 text, `undefined`/`null` nothing. Lists are written in one of two styles:
 * wrapped (`<vpcSet><item>…</item></vpcSet>` for ec2, `<member>` for awsQuery) or inline (rest-xml:
 * each list element is an object whose keys are the element names, e.g.
 * `HostedZones: [{ HostedZone: {…} }]` → `<HostedZones><HostedZone>…</HostedZone></HostedZones>`).
 */

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Whether XML 1.0 can carry a code point (tab, newline, carriage return, and the non-control ranges). */
function isXmlCharacter(codePoint: number): boolean {
  return (
    codePoint === 0x09 ||
    codePoint === 0x0a ||
    codePoint === 0x0d ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    codePoint >= 0x10000
  );
}

/** Escapes text and attribute values; drops characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (isXmlCharacter(codePoint)) out += entities[char] ?? char;
  }
  return out;
}

/** The item element of a list, or `null` for inline lists. */
export type ListStyle = string | null;

/**
 * A list whose items have their own element name rather than the protocol's (`item`/`member`): the
 * EC2 model names a few that way, e.g. a launch template network interface's `groupSet` holds
 * `<groupId>` elements, and the SDK reads list items by exactly that name.
 */
export class XmlList {
  constructor(
    readonly itemName: string,
    readonly items: readonly unknown[],
  ) {}
}

export function xmlElement(name: string, value: unknown, listItem: ListStyle): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${xmlContent(value, listItem)}</${name}>`;
}

/** The content of an element holding `value` (children for objects and lists, text otherwise). */
export function xmlContent(value: unknown, listItem: ListStyle): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList) {
    return value.items.map((item) => xmlElement(value.itemName, item, listItem)).join('');
  }
  if (Array.isArray(value)) {
    return value
      .map((item) => (listItem === null ? xmlContent(item, listItem) : xmlElement(listItem, item, listItem)))
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, child]) => xmlElement(key, child, listItem))
      .join('');
  }
  return escapeXml(String(value));
}

export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

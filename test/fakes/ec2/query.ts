/**
 * EC2's Query protocol on the wire: a form-encoded body whose lists are flattened with 1-based indexes
 * (`Filter.1.Name=name&Filter.1.Value.1=x`), and XML answers whose element names are lowerCamel and whose lists are
 * `<xxxSet><item>…</item></xxxSet>`.
 */
export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
export type QueryParams = { [key: string]: QueryValue };

/** `A.1.B=x` → `{ A: [{ B: 'x' }] }`. */
export function parseQuery(body: string): QueryParams {
  const root: QueryParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node: Record<string, QueryValue> | QueryValue[] = root;
    path.forEach((segment, index) => {
      const last = index === path.length - 1;
      const slot: string | number = /^\d+$/.test(segment) ? Number(segment) - 1 : segment;
      const container = node as Record<string | number, QueryValue>;
      if (last) {
        container[slot] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(path[index + 1]!);
      container[slot] ??= nextIsIndex ? [] : {};
      node = container[slot] as Record<string, QueryValue> | QueryValue[];
    });
  }
  return root;
}

/** Typed readers for the handlers. */
export function text(value: QueryValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function list(value: QueryValue | undefined): QueryValue[] {
  return Array.isArray(value) ? value.filter((item) => item !== undefined) : [];
}

export function strings(value: QueryValue | undefined): string[] {
  return list(value).flatMap((item) => (typeof item === 'string' ? [item] : []));
}

export function struct(value: QueryValue | undefined): { [key: string]: QueryValue } {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

/** `{ imagesSet: [{ imageId: 'ami-1' }] }` → `<imagesSet><item><imageId>ami-1</imageId></item></imagesSet>`. */
export function toXml(value: { [key: string]: XmlValue }): string {
  return Object.entries(value)
    .filter(([, child]) => child !== undefined)
    .map(([name, child]) => `<${name}>${element(child)}</${name}>`)
    .join('');
}

function element(value: XmlValue): string {
  if (Array.isArray(value)) return value.map((item) => `<item>${element(item)}</item>`).join('');
  if (typeof value === 'object') return toXml(value);
  return escapeXml(String(value));
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

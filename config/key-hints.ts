import { LineCounter, parseDocument, isMap } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../pipeline/did-you-mean.js';

/** Where a mistyped key is, and what was meant: read only when a config has an unknown key, so valid ones pay nothing. */
export interface KeyHint {
  /** 1-based line of the key in the file, when the YAML has one. */
  line?: number;
  /** The known key closest to it, when one is close. */
  meant?: string;
}

export function hintForKey(schema: z.ZodType, text: string, path: readonly PropertyKey[], key: string): KeyHint {
  const known = knownKeys(schema, path);
  return { line: lineOfKey(text, path, key), meant: known.length > 0 ? didYouMean(key, known) : undefined };
}

/** The keys the schema allows in the object at `path`, through optional, default, pipe, array and union wrappers. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: ZodNode | undefined = objectOf(schema as unknown as ZodNode);
  for (const segment of path) {
    if (!node) return [];
    const def = node._zod.def;
    if (typeof segment === 'number') node = def.type === 'array' ? objectOf(def.element!) : undefined;
    else node = def.shape?.[String(segment)] ? objectOf(def.shape[String(segment)]!) : undefined;
  }
  return node?._zod.def.shape ? Object.keys(node._zod.def.shape) : [];
}

interface ZodNode {
  _zod: { def: { type: string; shape?: Record<string, ZodNode>; innerType?: ZodNode; in?: ZodNode; element?: ZodNode; options?: ZodNode[] } };
}

/** The object or array inside the wrappers of a schema node (a union gives its object member). */
function objectOf(node: ZodNode): ZodNode | undefined {
  for (let current: ZodNode | undefined = node; current; ) {
    const def: ZodNode['_zod']['def'] = current._zod.def;
    if (def.shape || def.type === 'array') return current;
    if (def.type === 'union') return def.options?.map(objectOf).find((option) => option !== undefined);
    current = def.innerType ?? def.in;
  }
  return undefined;
}

function lineOfKey(text: string, path: readonly PropertyKey[], key: string): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const parent = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => (item.key as { value?: unknown })?.value === key);
  const offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/**
 * The values of a few top-level keys of a YAML config, read without a YAML parser, for commands whose start-up time
 * matters (discovery reads one URL from a config of a hundred lines; parsing it all costs more than the lookup).
 * Only the plainest form is taken: a block mapping at the top, each wanted key once on its own line at column 0 with
 * a one-line scalar (plain, 'single' or "double" quoted without escapes) and maybe a comment. Anything else, or a
 * document this reader cannot vouch for, gives undefined, and the caller parses the file with the YAML parser.
 */
const TOP_LEVEL_KEY = /^([A-Za-z_][\w-]*):(?:[ \t]|$)/;
const PLAIN = /^[^\s'"&*!|>{}[\],#%@`?:-][^#]*?$/;
const SINGLE_QUOTED = /^'([^']*)'$/;
const DOUBLE_QUOTED = /^"([^"\\]*)"$/;

export function topLevelScalars(text: string, keys: readonly string[]): Record<string, string> | undefined {
  const found: Record<string, string> = {};
  let inWanted = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]*$/.test(line)) continue;
    if (/^[ \t]/.test(line)) {
      // An indented line under a wanted key continues (or nests in) its value: not a one-line scalar.
      if (inWanted) return undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    const key = TOP_LEVEL_KEY.exec(line)?.[1];
    // A directive, a document marker, a flow mapping, a complex key: not the plain form.
    if (key === undefined) return undefined;
    inWanted = keys.includes(key);
    if (!inWanted) continue;
    if (key in found) return undefined;
    const value = scalar(line.slice(key.length + 1));
    if (value === undefined) return undefined;
    found[key] = value;
  }
  return found;
}

/** A one-line scalar with its comment and blanks removed; undefined for anything else (block, flow, alias, tag). */
function scalar(rest: string): string | undefined {
  const value = rest.replace(/[ \t]+#.*$/, '').trim();
  const quoted = SINGLE_QUOTED.exec(value) ?? DOUBLE_QUOTED.exec(value);
  if (quoted) return quoted[1];
  return PLAIN.test(value) && !value.includes(': ') ? value : undefined;
}

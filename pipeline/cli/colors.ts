/** ANSI colours for a terminal that wants them: a TTY, NO_COLOR unset (https://no-color.org), or FORCE_COLOR set. */
export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  const on = env.NO_COLOR ? false : Boolean(env.FORCE_COLOR) || stream.isTTY === true;
  const paint = (code: number, reset: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[${reset}m` : text);
  return { green: paint(32, 39), red: paint(31, 39), yellow: paint(33, 39), bold: paint(1, 22), dim: paint(2, 22) };
}

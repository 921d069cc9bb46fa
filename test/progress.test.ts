import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createProgress, formatBar, formatBytes, formatDuration, writeAboveProgress } from '../pipeline/progress.js';

const MiB = 1024 * 1024;

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A pino logger whose lines the test reads back. */
function memoryLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) }), lines };
}

/** A terminal that records what is written to it. */
function fakeTerminal(): { stream: { isTTY: boolean; write: (text: string) => boolean }; writes: string[] } {
  const writes: string[] = [];
  return { stream: { isTTY: true, write: (text) => (writes.push(text), true) }, writes };
}

test('in CI, a progress line every interval however often bytes arrive', () => {
  const clock = fakeClock();
  const { log, lines } = memoryLog();
  const progress = createProgress(log, 'qemu raw image', 100 * MiB, { interactive: false, now: clock.now, intervalMs: 5_000 });
  // 100 chunks of 1 MiB, one every 100 ms: 10 s in all.
  for (let chunk = 1; chunk <= 100; chunk++) {
    clock.advance(100);
    progress.update(chunk * MiB);
  }
  progress.done();
  assert.equal(lines.length, 3, 'one line at 5 s, one at 10 s, one when done');
  assert.deepEqual(lines[0], {
    level: 30,
    time: lines[0]!.time,
    progress: 'qemu raw image',
    sentBytes: 50 * MiB,
    totalBytes: 100 * MiB,
    percent: 50,
    bytesPerSecond: 10 * MiB,
    etaSeconds: 5,
    msg: 'qemu raw image: 50% of 100.0 MiB, 10.0 MiB/s, ETA 0:05',
  });
  assert.equal(lines[1]!.msg, 'qemu raw image: 100% of 100.0 MiB, 10.0 MiB/s, ETA 0:00');
  assert.equal(lines[2]!.msg, 'qemu raw image: 100.0 MiB in 0:10');
});

test('on a terminal, bars are redrawn in place at most every interval', () => {
  const clock = fakeClock();
  const { log, lines } = memoryLog();
  const { stream, writes } = fakeTerminal();
  // interactive is explicit: the default also asks that CI be unset, and the tests run in CI too.
  const options = { stream, now: clock.now, intervalMs: 100, interactive: true };
  const aws = createProgress(log, 'aws', 10 * MiB, options);
  const gcp = createProgress(log, 'gcp image', 20 * MiB, options);
  assert.equal(writes.length, 2, 'each new bar is drawn at once');
  assert.equal(writes[1], `\x1b[1A\x1b[2K${formatBar('aws      ', 0, 10 * MiB, 0, undefined)}\n\x1b[2K${formatBar('gcp image', 0, 20 * MiB, 0, undefined)}\n`);

  for (let step = 1; step <= 10; step++) {
    clock.advance(20);
    aws.update(step * 512 * 1024);
  }
  assert.equal(writes.length, 4, '200 ms of updates every 20 ms: two redraws');
  assert.match(writes[3]!, /^\x1b\[2A/, 'back to the top of the block of two bars');
  assert.ok(writes[3]!.includes(formatBar('aws      ', 5 * MiB, 10 * MiB, 25 * MiB, 1)), writes[3]);

  aws.done();
  gcp.done();
  assert.equal(writes.length, 6, 'done always draws');
  assert.deepEqual(lines, [], 'bars, not log lines');
  // The block is released: the next upload starts a new block below.
  createProgress(log, 'azure', MiB, options);
  assert.doesNotMatch(writes[6]!, /\x1b\[\d+A/);
});

test('figures are formatted for people', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(2.5 * 1024 * MiB), '2.5 GiB');
  assert.equal(formatDuration(7), '0:07');
  assert.equal(formatDuration(750), '12:30');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(
    formatBar('qemu', 25 * MiB, 100 * MiB, 5 * MiB, 15),
    'qemu [######..................]  25%  25.0 MiB / 100.0 MiB  5.0 MiB/s  ETA 0:15',
  );
  assert.equal(formatBar('x', 0, 100, 0, undefined), 'x [........................]   0%  0 B / 100 B  0 B/s  ETA --:--');
});

test('a bar fits the terminal it is drawn on, and is drawn again when the terminal is resized', () => {
  for (const columns of [200, 80, 60, 40, 20]) {
    const line = formatBar('azure trustedlaunch disk', 1.5 * 1024 * MiB, 30 * 1024 * MiB, 85 * MiB, 345, columns);
    assert.ok(line.length <= columns - 1, `${columns} columns: ${line.length} characters`);
    assert.match(line, /5%/);
  }
  assert.equal(formatBar('qemu', 25 * MiB, 100 * MiB, 5 * MiB, 15, 120).match(/\[([#.]+)\]/)![1]!.length, 40, 'at most 40 wide');
  assert.match(formatBar('qemu', 25 * MiB, 100 * MiB, 5 * MiB, 15, 40), /^25% ETA 0:15 qemu$/, 'a narrow terminal keeps the percent and the ETA');

  const clock = fakeClock();
  const { log } = memoryLog();
  let resize = () => {};
  const writes: string[] = [];
  const terminal = { isTTY: true, columns: 100, write: (text: string) => writes.push(text), on: (_event: 'resize', listener: () => void) => (resize = listener) };
  const progress = createProgress(log, 'gcp image', 10 * MiB, { stream: terminal, now: clock.now, intervalMs: 100, interactive: true });
  terminal.columns = 50;
  resize();
  assert.equal(writes.length, 2, 'a resize redraws at once');
  assert.match(writes[1]!, /^\x1b\[1A\x1b\[0J\x1b\[2K/, 'up, clear what the old width left, then the bar');
  assert.ok(writes[1]!.split('\n')[0]!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length <= 49);
  progress.done();
});

test('bars only on a terminal outside CI; log lines otherwise', () => {
  const { log, lines } = memoryLog();
  const { stream, writes } = fakeTerminal();
  const saved = process.env.CI;
  try {
    process.env.CI = 'true';
    createProgress(log, 'in ci', MiB, { stream }).done();
    assert.equal(writes.length, 0);
    assert.equal(lines.length, 1);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});

test('a log line written while bars are live goes above them, and the bars are drawn again below', () => {
  const clock = fakeClock();
  const { log } = memoryLog();
  const { stream, writes } = fakeTerminal();
  const progress = createProgress(log, 'azure cvm disk', 10 * MiB, { stream, now: clock.now, intervalMs: 100, interactive: true });
  writes.length = 0;
  writeAboveProgress(stream, 'INFO: gcp: uploaded\n');
  assert.equal(writes.length, 2);
  assert.equal(writes[0], '\x1b[1A\x1b[0JINFO: gcp: uploaded\n', 'up over the one bar, clear it, then the line');
  assert.ok(writes[1]!.includes(formatBar('azure cvm disk', 0, 10 * MiB, 0, undefined)), 'the bar again, below the line');
  progress.done();
  writes.length = 0;
  writeAboveProgress(stream, 'INFO: done\n');
  assert.deepEqual(writes, ['INFO: done\n'], 'with no live bars a line is just written');
});

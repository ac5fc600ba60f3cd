import { join } from 'node:path';
import { durations, formatSlowest, type JestJson, readCpu, slowest } from './slowest';

const ROOT = '/repo';
const result = (name: string, startTime: number, endTime: number, status = 'passed') => ({
  name: join(ROOT, name),
  startTime,
  endTime,
  status,
});

describe('test:slowest', () => {
  const results: JestJson = {
    startTime: 1_000,
    numPassedTests: 41,
    numFailedTests: 1,
    numPendingTests: 2,
    numTodoTests: 0,
    testResults: [
      result('wire/codec.test.ts', 1_000, 3_000),
      result('spec/valid.spec.ts', 1_000, 61_000),
      result('engine/socket.interop.test.ts', 3_000, 13_000, 'failed'),
      result('cli/cli.test.ts', 13_000, 14_000, 'focused'),
    ],
  };

  it('lists the slowest files first, with their tier and seconds', () => {
    expect(slowest(results, 3, ROOT)).toEqual([
      { file: 'spec/valid.spec.ts', tier: 'conformance', seconds: 60, status: 'passed' },
      { file: 'engine/socket.interop.test.ts', tier: 'interop', seconds: 10, status: 'failed' },
      { file: 'wire/codec.test.ts', tier: 'pure', seconds: 2, status: 'passed' },
    ]);
  });

  it('prints a table with each file share of the run', () => {
    const text = formatSlowest(results, 2, ROOT).split('\n');
    expect(text[0]).toBe('slowest 2 of 4 test files (73.0 s of test-file time, 60.0 s wall):');
    expect(text[2]).toMatch(/^spec\/valid\.spec\.ts\s+conformance\s+60\.0\s+82\.2%$/);
    expect(text[3]).toMatch(/^engine\/socket\.interop\.test\.ts\s+interop\s+10\.0\s+13\.7%\s+\(failed\)$/);
    expect(text[text.length - 1]).toBe('jest: 41 passed, 1 failed, 2 skipped');
    expect(formatSlowest(results, 4, ROOT).split('\n')[5]).toMatch(
      /^cli\/cli\.test\.ts\s+pure\s+1\.0\s+1\.4%\s+\(some skipped\)$/,
    );
  });

  it('adds the worker CPU seconds from cpu.jsonl, and their sum', () => {
    const cpu = readCpu(
      '{"file":"spec/valid.spec.ts","cpuMs":41000,"wallMs":60000}\n{"file":"wire/codec.test.ts","cpuMs":1000,"childMs":500,"wallMs":2000}\n',
    );
    const text = formatSlowest(results, 3, ROOT, cpu).split('\n');
    expect(text[1]).toMatch(/share\s+cpu s$/);
    expect(text[2]).toMatch(/^spec\/valid\.spec\.ts\s+conformance\s+60\.0\s+82\.2%\s+41\.0$/);
    expect(text[3]).toMatch(/\s+13\.7%\s+-\s+\(failed\)$/);
    expect(text[text.length - 2]).toBe('CPU of the files (workers and their processes): 42.5 s in 2 files');
  });

  it('writes the durations table the sequencer reads: files of 2 s or more', () => {
    expect(durations(results, ROOT)).toEqual({
      'spec/valid.spec.ts': 60,
      'engine/socket.interop.test.ts': 10,
      'wire/codec.test.ts': 2,
    });
  });
});

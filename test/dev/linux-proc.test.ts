import {
  assertLinux,
  compareIdentity,
  parseProcNetTcp,
  parseProcStat,
  ProcStatParseError,
  processTree,
  TCP_LISTEN,
  UnsupportedPlatformError,
  type ProcessIdentity,
  type ProcStat,
} from '../../dev/linux-proc';
import { FluxOpsError } from '../../errors';

// A real line from this machine: `cat` with parent 26616, started 74599 ticks after boot.
const CAT_STAT =
  '26619 (cat) R 26616 26616 11047 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 74599 3133440 365 18446744073709551615 94554273390592 94554273410473 140736903105968 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94554273426480 94554273428096 94555280580608 140736903113411 140736903113431 140736903113431 140736903114731 0\n';

describe('parseProcStat', () => {
  it('reads pid, comm, state, parent, group and start time (field 22)', () => {
    expect(parseProcStat(CAT_STAT)).toEqual({ pid: 26619, comm: 'cat', state: 'R', ppid: 26616, pgrp: 26616, startTicks: 74599 });
  });

  it('finds the fields after a command name with spaces and parentheses', () => {
    const tricky = CAT_STAT.replace('(cat)', '(a) b (c) d)');
    expect(parseProcStat(tricky)).toMatchObject({ pid: 26619, comm: 'a) b (c) d', state: 'R', ppid: 26616, startTicks: 74599 });
  });

  it('rejects text without the documented layout', () => {
    expect(() => parseProcStat('garbage')).toThrow(ProcStatParseError);
    expect(() => parseProcStat('12 (x) S 1 2')).toThrow(/field 22 is not an integer/);
  });
});

describe('parseProcNetTcp', () => {
  it('reads local port, state and inode; LISTEN is 0x0A', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 113 1 0000000022c393c8 100 0 0 10 0',
      '   1: 020200C0:AF08 507100CB:01BB 06 00000000:00000000 03:00001723 00000000     0        0 0 3 00000000034080c6',
      '',
    ].join('\n');
    expect(parseProcNetTcp(text)).toEqual([
      { localAddressHex: '0100007F', port: 8080, state: TCP_LISTEN, inode: 113 },
      { localAddressHex: '020200C0', port: 0xaf08, state: 6, inode: 0 },
    ]);
  });

  it('reads IPv6 rows and skips malformed ones', () => {
    const text = [
      '  sl  local_address                         remote_address                        st ...',
      '   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0',
      '   1: short line',
    ].join('\n');
    expect(parseProcNetTcp(text)).toEqual([{ localAddressHex: '00000000000000000000000001000000', port: 22, state: TCP_LISTEN, inode: 4242 }]);
  });
});

describe('compareIdentity', () => {
  const recorded: ProcessIdentity = { pid: 100, bootId: 'boot-a', startTicks: 5000, cmdline: ['bash', '/x/watchdog.sh', '0', '/bin/kine'] };

  it.each<[string, ProcessIdentity | undefined, string, string]>([
    ['the same process', { ...recorded }, 'boot-a', 'ours'],
    ['no process with the id', undefined, 'boot-a', 'gone'],
    ['a process after a reboot', { ...recorded }, 'boot-b', 'other:reboot'],
    ['a process started at another time', { ...recorded, startTicks: 5001 }, 'boot-a', 'other:start-time'],
    ['another command', { ...recorded, cmdline: ['sleep', '1000'] }, 'boot-a', 'other:command'],
    ['one more argument', { ...recorded, cmdline: [...recorded.cmdline, '--x'] }, 'boot-a', 'other:command'],
  ])('%s', (_what, current, boot, expected) => {
    const r = compareIdentity(recorded, current, boot);
    expect(r.status === 'other' ? `other:${r.reason}` : r.status).toBe(expected);
  });
});

describe('processTree', () => {
  const p = (pid: number, ppid: number): ProcStat => ({ pid, ppid, pgrp: pid, comm: 'x', state: 'S', startTicks: 1 });
  it('returns the roots and every descendant once, roots first', () => {
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(21, 20), p(30, 1)];
    expect(processTree([10, 20], all).map((x) => x.pid)).toEqual([10, 20, 11, 21, 12]);
    expect(processTree([99], all)).toEqual([]);
  });
});

describe('assertLinux', () => {
  it('names the platform and the feature elsewhere', () => {
    expect(() => assertLinux('the local cluster', 'linux')).not.toThrow();
    const err = (() => {
      try {
        assertLinux('the local cluster', 'darwin');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnsupportedPlatformError);
    expect(err).toBeInstanceOf(FluxOpsError);
    expect(err).toMatchObject({ code: 'unsupported-platform', platform: 'darwin', message: 'the local cluster needs Linux (/proc); this is darwin' });
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { checkIdentity } from '../../dev/linux-proc';
import { isAddressInUse, ManagedProcess, ProcessExitedError } from '../../dev/process';

describe('ManagedProcess', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-process-'));
  const started: ManagedProcess[] = [];
  afterAll(async () => {
    for (const p of started) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = (script: string) => {
    const p = ManagedProcess.start({ name: 'probe', command: 'bash', args: ['-c', script], logFile: path.join(dir, 'probe.log') });
    started.push(p);
    return p;
  };
  const exited = async (p: ManagedProcess): Promise<ProcessExitedError> => {
    for (let i = 0; i < 100 && p.running; i++) await new Promise((r) => setTimeout(r, 50));
    try {
      p.assertRunning();
    } catch (err) {
      if (err instanceof ProcessExitedError) return err;
      throw err;
    }
    throw new Error('still running');
  };

  it('reports only the output of its own run, although the log file keeps earlier runs', async () => {
    const first = await exited(start('echo "listen tcp 127.0.0.1:1: bind: address already in use"; exit 1'));
    expect(isAddressInUse(first.logTail)).toBe(true);
    expect(first).toMatchObject({ code: 'process-exited', processName: 'probe', exitCode: 1 });
    const second = await exited(start('echo "some other failure"; exit 2'));
    expect(second.logTail).toBe('some other failure\n');
    expect(isAddressInUse(second.logTail)).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'probe.log'), 'utf8')).toContain('address already in use');
  });

  it('records the identity of its watchdog and finds the server it runs', async () => {
    const p = start('exec sleep 1000');
    expect(p.identity?.cmdline.slice(-3)).toEqual(['bash', '-c', 'exec sleep 1000']);
    expect(p.identity && checkIdentity(p.identity).status).toBe('ours');
    let server = p.serverIdentity();
    for (let i = 0; i < 50 && !server; i++) {
      await new Promise((r) => setTimeout(r, 50));
      server = p.serverIdentity();
    }
    // `exec` replaced the bash that the watchdog started, so the server is found only if it runs the started command.
    expect(server).toBeUndefined();
    const q = start('sleep 1000; true');
    for (let i = 0; i < 50 && !(server = q.serverIdentity()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server?.cmdline).toEqual(['bash', '-c', 'sleep 1000; true']);
    await q.stop();
    expect(checkIdentity(server!).status).toBe('gone');
    expect(checkIdentity(q.identity!).status).toBe('gone');
  });
});

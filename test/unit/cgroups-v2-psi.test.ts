// PSI in events --stats (runc 1.2's cpu.psi / memory.psi / blkio.psi): parsing, and statsV2 on
// a fixture cgroup with and without the pressure files.
import fs = require('fs');
import os = require('os');
import path = require('path');
import { parsePsi } from '../../src/cgroups/controllers/v2/psi';
import { statsV2 } from '../../src/cgroups/controllers/v2/resources';

describe('PSI', () => {
  it('parses some and full lines', () => {
    expect(parsePsi('some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n')).toEqual({
      some: { avg10: 1.5, avg60: 0.25, avg300: 0, total: 12345 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 7 },
    });
    expect(parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n')).toEqual({ some: { avg10: 0, avg60: 0, avg300: 0, total: 0 } });
    expect(parsePsi('')).toBeUndefined();
    expect(parsePsi('garbage')).toBeUndefined();
  });

  it('statsV2 adds cpu.psi, memory.psi and blkio.psi where the files are, after the other fields', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-psi-'));
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), '1\n');
      fs.writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 10\nuser_usec 5\nsystem_usec 5\n');
      const none = statsV2(dir, { hugePageSizes: [] });
      expect(none.cpu).not.toHaveProperty('psi');
      expect(none.memory).not.toHaveProperty('psi');
      fs.writeFileSync(path.join(dir, 'cpu.pressure'), 'some avg10=0.10 avg60=0.00 avg300=0.00 total=99\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n');
      fs.writeFileSync(path.join(dir, 'io.pressure'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=3\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=2\n');
      const s = statsV2(dir, { hugePageSizes: [] });
      expect(Object.keys(s.cpu)).toEqual(['usage', 'throttling', 'psi']);
      expect(s.cpu.psi?.some).toEqual({ avg10: 0.1, avg60: 0, avg300: 0, total: 99 });
      expect(s.blkio.psi?.full?.total).toBe(2);
      expect(s.memory).not.toHaveProperty('psi');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

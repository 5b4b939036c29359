// The e2e suite under test/helpers/enosys (`npm run test:enosys`): a seccomp filter on the test
// process answers ENOSYS for openat2, close_range, clone3, open_tree, move_mount, fsopen,
// fsconfig, fsmount, fspick and mount_setattr, as a kernel before 5.2 (or 5.12) would.
// tsrun falls back for every one of them; only features that are those syscalls (the r* mount
// options, idmapped mounts) cannot work, and their tests skip here naming the reason.

export const ENOSYS_MODE = process.env.TSRUN_TEST_ENOSYS === '1';

/** `test`, or a skip under the ENOSYS mode that says why (the feature needs one of the syscalls). */
export function testNeedsNewMountApi(name: string, why: string, fn: jest.ProvidesCallback, timeout?: number): void {
  if (ENOSYS_MODE) test.skip(`${name} [skipped under test:enosys: ${why}]`, fn);
  else test(name, fn, timeout);
}

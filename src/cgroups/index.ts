export { cgroupManager, type CgroupManager, type CgroupManagerOptions } from './manager';
export { detectCgroups, layoutFrom, parseMountinfo, parseProcCgroup, type CgroupLayout, type CgroupMode, type CgroupMount } from './detect';
export {
  CGROUPS_PATH_FIELD, normalizeCgroupsPath, parseCgroupsPath, parseSystemdCgroupsPath, resolveUnifiedDir, resolveV1Dir,
  systemdIsRunning, type CgroupfsPath, type SystemdCgroupsPath,
} from './path';
export { checkCgroupBeforeCreate } from './members';

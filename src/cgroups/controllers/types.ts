// Per-controller module contracts. One module per controller per cgroup version lives in
// ./v1/<name>.ts and ./v2/<name>.ts; the managers only iterate the registries in ./v1/index.ts
// and ./v2/index.ts. Resource limits, stats and events (later issue) become optional methods
// here (e.g. `set(dir, resources)`, `stats(dir)`), implemented by the modules that need them.

/** A cgroup v1 hierarchy the manager places containers in ("memory", "name=systemd", ...). */
export interface V1Controller {
  /** Hierarchy key as in /proc/self/cgroup and CgroupLayout.v1. */
  readonly name: string;
  /**
   * Called by create() before any process joins. `chain` is every directory from the first
   * one below `mountPoint` down to the container's cgroup (pre-existing ones included).
   */
  prepare?(chain: string[], mountPoint: string): void;
}

/** A cgroup v2 controller (enabled via cgroup.subtree_control). */
export interface V2Controller {
  /** Name as listed in cgroup.controllers ("memory", "cpu", ...). */
  readonly name: string;
}

// Capabilities, groups, uid and gid of the container process.
#include "child.h"

namespace tsrun {
namespace child {

void set_credentials() {
  if (P->set_caps) {
    for (int c = 0; c <= P->last_cap; c++)
      if (!(P->cap_bounding & (1ULL << c))) {
        long r = SC(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0);
        if (r < 0 && r != -EINVAL) die(STEP_CAPS, r, c, "drop bounding capability");
      }
    check(SC(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0), STEP_CAPS, -1, "keepcaps");
  }
  if (P->set_groups) check(SC(SYS_setgroups, P->n_groups, P->groups), STEP_SETGROUPS, -1, "setgroups");
  check(SC(SYS_setresgid, P->gid, P->gid, P->gid), STEP_SETGID, -1, "setresgid");
  check(SC(SYS_setresuid, P->uid, P->uid, P->uid), STEP_SETUID, -1, "setresuid");
  if (P->set_caps) {
    check(SC(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0), STEP_CAPS, -1, "keepcaps");
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)P->cap_effective; data[1].effective = (uint32_t)(P->cap_effective >> 32);
    data[0].permitted = (uint32_t)P->cap_permitted; data[1].permitted = (uint32_t)(P->cap_permitted >> 32);
    data[0].inheritable = (uint32_t)P->cap_inheritable; data[1].inheritable = (uint32_t)(P->cap_inheritable >> 32);
    check(SC(SYS_capset, &hdr, data), STEP_CAPS, -1, "capset");
    for (int c = 0; c <= P->last_cap; c++)
      if (P->cap_ambient & (1ULL << c)) {
        // The kernel refuses (EPERM) ambient capabilities outside permitted & inheritable;
        // runc ignores that too, so the same config.json gives the same CapAmb.
        long r = SC(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
        if (r < 0 && r != -EPERM && r != -EINVAL) die(STEP_CAPS, r, c, "raise ambient capability");
      }
  }
}

}  // namespace child
}  // namespace tsrun

/* fuse-hang MOUNTPOINT: a FUSE file system (no libfuse: /dev/fuse and mount(2) with fd=) whose
 * root is an empty directory and whose every LOOKUP is read and never answered. A process that
 * opens MOUNTPOINT/anything waits for the answer; once it has a fatal signal pending the kernel
 * keeps waiting uninterruptibly (D state: the request is in userspace, fuse's request_wait_answer
 * "wait it out"), so it survives SIGKILL until the connection is aborted
 * (/sys/fs/fuse/connections/DEV/abort) or this process exits.
 * Answers the root's GETATTR, OPENDIR, READDIR (empty), RELEASEDIR, ACCESS and STATFS, so that a
 * stat or a walk of the mount point does not hang too; anything else is ENOSYS.
 * stdout: "mounted\n" once INIT is answered, then "hang NAME\n" for each LOOKUP it sits on. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[1 << 18];
static int dev;

static void reply(const struct fuse_in_header *in, int error, const void *body, size_t len) {
  char out[sizeof(struct fuse_out_header) + 256];
  struct fuse_out_header h = {.len = (uint32_t)(sizeof h + len), .error = error, .unique = in->unique};
  memcpy(out, &h, sizeof h);
  if (len) memcpy(out + sizeof h, body, len);
  if (write(dev, out, h.len) < 0 && errno != ENOENT) perror("fuse-hang: write");
}

static void say(const char *a, const char *b) {
  char line[512];
  int n = snprintf(line, sizeof line, "%s%s\n", a, b);
  if (write(1, line, n) < 0) { /* the test went away */ }
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: fuse-hang MOUNTPOINT\n"); return 2; }
  dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (dev < 0) { perror("fuse-hang: /dev/fuse"); return 1; }
  char opts[128];
  snprintf(opts, sizeof opts, "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other", dev);
  if (mount("fuse-hang", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) { perror("fuse-hang: mount"); return 1; }
  for (;;) {
    ssize_t n = read(dev, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT)) continue;
    if (n < 0) return errno == ENODEV ? 0 : (perror("fuse-hang: read"), 1); /* ENODEV: aborted or unmounted */
    const struct fuse_in_header *in = (const void *)buf;
    const void *arg = in + 1;
    switch (in->opcode) {
    case FUSE_INIT: {
      const struct fuse_init_in *ii = arg;
      struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
                                .max_readahead = ii->max_readahead, .max_background = 16, .congestion_threshold = 12,
                                .max_write = 4096};
      reply(in, 0, &o, sizeof o);
      say("mounted", "");
      break;
    }
    case FUSE_GETATTR: {
      struct fuse_attr_out o = {.attr_valid = 1, .attr = {.ino = 1, .mode = S_IFDIR | 0755, .nlink = 2}};
      reply(in, 0, &o, sizeof o);
      break;
    }
    case FUSE_OPENDIR: {
      struct fuse_open_out o = {.fh = 1};
      reply(in, 0, &o, sizeof o);
      break;
    }
    case FUSE_STATFS: {
      struct fuse_statfs_out o = {.st = {.bsize = 4096, .namelen = 255, .frsize = 4096}};
      reply(in, 0, &o, sizeof o);
      break;
    }
    case FUSE_READDIR: case FUSE_RELEASEDIR: case FUSE_ACCESS:
      reply(in, 0, NULL, 0);
      break;
    case FUSE_LOOKUP:
      say("hang ", (const char *)arg); /* never answered */
      break;
    case FUSE_FORGET: case FUSE_BATCH_FORGET: case FUSE_INTERRUPT:
      break; /* no answer expected (an INTERRUPT of a LOOKUP: still not answered) */
    default:
      reply(in, -ENOSYS, NULL, 0);
    }
  }
}

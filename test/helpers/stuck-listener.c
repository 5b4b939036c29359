/* stuck-listener PATH: an AF_UNIX stream socket that is listened on and never accepts, its
 * backlog full (listen(0) and one connection of its own queued): a connect to PATH blocks, as
 * with a console socket, seccomp agent or pidfd receiver that is hung. Prints "ready\n". */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: stuck-listener PATH\n"); return 2; }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(argv[1]);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 0) < 0) { perror("stuck-listener: bind/listen"); return 1; }
  if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) { perror("stuck-listener: connect"); return 1; }
  if (write(1, "ready\n", 6) != 6) return 1;
  for (;;) pause();
}

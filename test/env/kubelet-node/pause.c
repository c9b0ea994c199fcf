/* The sandbox ("pause") container of the UML kubelet nodes, tagged registry.k8s.io/pause:3.10 so that no registry
 * is needed: it holds the pod's namespaces open until it is told to stop, and reaps the orphans the pod's PID
 * namespace hands it (it is that namespace's init when the pod shares its process namespace). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}

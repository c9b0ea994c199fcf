/*
 * LD_PRELOAD shim for linux.uml (Debian's User-Mode Linux 6.1, also 6.12): lets UML run on hosts whose XSAVE area
 * is larger than UML's fixed-size register buffer (CPUs with AMX or AVX-512 on host kernels >= 5.x).
 *
 * UML saves and restores a guest thread's FPU state with PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE) using a buffer
 * of its own compile-time size. A GET with a short buffer is truncated and works; a SET must pass exactly the host's
 * XSAVE size, or the host kernel answers EFAULT and UML panics at its first user process ("ptrace set fp regs
 * failed, errno = 14"). UML kernels from 6.13 on size the buffer from the host; until Debian ships one, this shim pads
 * each short SET: it reads the thread's current full state, lays UML's bytes over its start and sets the whole.
 * Components past UML's buffer (AVX-512 upper registers, PKRU, AMX tiles) therefore keep the thread's current values
 * instead of being switched per guest thread, which is why the guest's glibc is told not to use AVX-512
 * (GLIBC_TUNABLES in test/env/uml.ts).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

/* The host's XSAVE size: a GET with a buffer larger than any XSAVE area reports the real length. */
static size_t host_xstate_size(ptrace_fn real, pid_t pid) {
  static size_t size;
  if (size == 0) {
    static unsigned char probe[64 * 1024] __attribute__((aligned(64)));
    struct iovec iov = { probe, sizeof probe };
    if (real(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) == 0) size = iov.iov_len;
  }
  return size;
}

long ptrace(enum __ptrace_request request, ...) {
  static ptrace_fn real;
  if (!real) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request != PTRACE_SETREGSET || (long)addr != NT_X86_XSTATE) return real(request, pid, addr, data);
  struct iovec *in = data;
  size_t full = host_xstate_size(real, pid);
  if (full == 0 || in->iov_len >= full) return real(request, pid, addr, data);
  unsigned char *buf = aligned_alloc(64, (full + 63) & ~(size_t)63);
  if (!buf) {
    errno = ENOMEM;
    return -1;
  }
  struct iovec cur = { buf, full };
  long rc = real(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &cur);
  if (rc == 0) {
    memcpy(buf, in->iov_base, in->iov_len);
    rc = real(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &cur);
  }
  int saved = errno;
  free(buf);
  errno = saved;
  return rc;
}

// Runs a command inside a throw-away User-Mode Linux guest that has device-mapper (real LVM), virtual
// disks (/dev/ubda, /dev/ubdb, ...: fresh sparse images, or existing image files the caller keeps) and
// the host's own filesystem as its root (hostfs, read-write), because the build machines' kernel has no device-mapper.
//
// The guest runs the command as root with the cwd preserved, so host paths (the checkout, its
// node_modules, a temp dir) work unchanged inside. It boots in ~2 s. Guest-private mounts keep LVM
// from writing into the host: /run is a tmpfs, /etc/lvm a copy inside it, /dev the guest's devtmpfs,
// /var/lib/open-local (prepare-vg's record file) a tmpfs, and /mnt a tmpfs for the tests' mount points (prepare-vg
// refuses mount points under system directories such as /run).
// UML disks report queue/rotational = 0 (SSD); `rotational: true` makes the init script write 1
// into /sys/block/ubdX/queue/rotational, which lsblk and LVM then report as a spinning disk.
// Caveat: the ubd driver resets the flag to 0 whenever the disk is opened (LVM, mkfs), so a test that needs
// the HDD flag after such a command must write it again (test/integration/node-agent/guest/ does).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { peersDir } from './peers.js';
import { registerTempDir, startProcess, tailFile, unregisterTempDir } from './processes.js';

export const UML_PACKAGES = 'user-mode-linux lvm2 kmod e2fsprogs xfsprogs thin-provisioning-tools gcc libc6-dev';

const XSTATE_SHIM_SOURCE = new URL('uml-xstate-shim.c', import.meta.url);
let xstateShim: Promise<string> | undefined;

/**
 * The LD_PRELOAD shim that lets linux.uml run on hosts with a large XSAVE area (see uml-xstate-shim.c), built once
 * with the C compiler and cached beside the peers under the hash of its source.
 */
function umlXstateShim(): Promise<string> {
  xstateShim ??= (async () => {
    const source = await readFile(XSTATE_SHIM_SOURCE);
    const lib = join(peersDir(), `uml-xstate-shim-${createHash('sha256').update(source).digest('hex').slice(0, 12)}.so`);
    try {
      await access(lib);
      return lib;
    } catch {
      // not built yet
    }
    await mkdir(peersDir(), { recursive: true });
    const tmp = `${lib}.${process.pid}.tmp`;
    try {
      await promisify(execFile)('cc', ['-O2', '-shared', '-fPIC', '-o', tmp, XSTATE_SHIM_SOURCE.pathname, '-ldl']);
    } catch (err) {
      throw new Error(`cannot build the UML xstate shim (a C compiler is needed). Run: apt-get install -y ${UML_PACKAGES}`, { cause: err });
    }
    await rename(tmp, lib);
    return lib;
  })();
  return xstateShim;
}

/**
 * A virtual disk: `{ size }` is a fresh sparse image that runInUml creates and deletes; `{ file }` is an existing
 * image file used read-write as is and never deleted, so a test can boot several guests over the same disks (in
 * another order, to move their names).
 */
export type UmlDisk = ({ readonly size: string } | { readonly file: string } | UmlCowDisk) & {
  /** Report the disk as rotational (HDD). @default false (UML reports SSD) */
  readonly rotational?: boolean;
  /**
   * The disk's serial number (sysfs `device/serial`), as real disks have one: what a Device volume's disk is
   * recognised by. @default none
   */
  readonly serial?: string;
};

/**
 * A copy-on-write disk: the guest reads `backing` (never written, so many guests can share it) and its writes go
 * to `cow`, which UML creates when missing and the caller deletes.
 */
export interface UmlCowDisk {
  readonly cow: string;
  readonly backing: string;
}

export interface UmlTap {
  /** Network namespace that holds the tap device; the guest runs inside it. */
  readonly netns: string;
  /** Name of an existing tap device in that namespace. */
  readonly device: string;
  /** Guest eth0 address in CIDR form, e.g. '10.231.7.2/24'. */
  readonly address: string;
  /** Default route through this address (optional). */
  readonly gateway?: string;
}

export interface UmlOptions {
  /** Virtual disks, in order: /dev/ubda, /dev/ubdb, ... */
  readonly disks?: readonly UmlDisk[];
  /** An argv, or `{ script }`: a shell script file run with sh. */
  readonly command: readonly string[] | { readonly script: string };
  /** Kill the guest after this long. @default 300000 */
  readonly timeoutMs?: number;
  /** Guest memory, as for UML's mem=. @default '1G' */
  readonly memory?: string;
  /** Attach eth0 to a tap device in a network namespace (see netns.ts). */
  readonly tap?: UmlTap;
  /** Working directory inside the guest. @default process.cwd() */
  readonly cwd?: string;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the guest (SIGKILL) when aborted, like the timeout does: for guests that run until told to stop. */
  readonly signal?: AbortSignal;
  /** Where the guest kernel's console goes, for a guest that runs long enough to be looked at while it runs. @default a file in the guest's temp dir */
  readonly consoleLog?: string;
}

export interface UmlResult {
  /** The command's exit code. */
  readonly exitCode: number;
  /** The command's stdout and stderr, interleaved. */
  readonly output: string;
  /** The guest kernel console (boot messages), for debugging. */
  readonly console: string;
}

const UML_BINARY = 'linux.uml';
const MODULES_DIR = '/usr/lib/uml/modules';

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat('/usr/bin', '/usr/sbin', '/sbin')) {
    if (!dir) continue;
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return undefined;
}

/** Throws a message saying what to install when UML or its module tree is missing. */
export async function checkUml(): Promise<string> {
  const uml = await findOnPath(UML_BINARY);
  const fix = `apt-get install -y ${UML_PACKAGES}`;
  if (!uml) throw new Error(`${UML_BINARY} not found: User-Mode Linux is needed for LVM tests. Run: ${fix}`);
  try {
    await access(MODULES_DIR);
  } catch (err) {
    throw new Error(`${MODULES_DIR} missing (device-mapper modules for the guest). Run: ${fix}`, { cause: err });
  }
  for (const tool of ['lvm', 'modprobe']) {
    if (!(await findOnPath(tool))) throw new Error(`${tool} not found (needed inside the UML guest). Run: ${fix}`);
  }
  // The guest bind-mounts its module tree onto /lib/modules, so the mount point must exist.
  try {
    await mkdir('/lib/modules', { recursive: true });
  } catch (err) {
    throw new Error('/lib/modules is missing and cannot be created (run once as root: mkdir -p /lib/modules)', {
      cause: err,
    });
  }
  return uml;
}

function initScript(work: string, opts: UmlOptions, cwd: string): string {
  const disks = opts.disks ?? [];
  const rotational = disks
    .map((d, i) => `echo ${d.rotational ? 1 : 0} > /sys/block/ubd${String.fromCharCode(97 + i)}/queue/rotational`)
    .join('\n');
  const tap = opts.tap;
  const net = tap
    ? [
        'ip link set eth0 up',
        `ip addr add ${tap.address} dev eth0`,
        tap.gateway ? `ip route add default via ${tap.gateway}` : '',
      ].join('\n')
    : '';
  return `#!/bin/sh
# init of a UML guest written by test/env/uml.ts
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
# AVX-512 registers are not switched per guest thread under the xstate shim (uml-xstate-shim.c): keep glibc off them.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /run
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts 2>/dev/null; mount -t tmpfs shm /dev/shm 2>/dev/null
# guest-private copy of /etc/lvm, so archive/, backup/ and devices/ never land on the host
mkdir -p /run/etc-lvm && cp -a /etc/lvm/. /run/etc-lvm/ && mount --bind /run/etc-lvm /etc/lvm
# guest-private prepare-vg record file (node-agent/prepare-vg/host-records.ts), so no guest reads or writes the host's
mkdir -p /var/lib/open-local && mount -t tmpfs open-local-state /var/lib/open-local
mount -t tmpfs mnt /mnt
mount --bind ${MODULES_DIR} /lib/modules
modprobe dm-mod; modprobe dm-snapshot; modprobe dm-thin-pool 2>/dev/null
# kubelet holds every raw block volume it maps with a loop device (losetup on the mapped device file)
modprobe loop 2>/dev/null
${rotational}
ip link set lo up 2>/dev/null
${net}
cd ${shellQuote(cwd)}
sh ${work}/cmd.sh > ${work}/out 2>&1
echo $? > ${work}/rc.tmp && mv ${work}/rc.tmp ${work}/rc
sync
halt -f
`;
}

function commandScript(opts: UmlOptions): string {
  const env = Object.entries(opts.env ?? {})
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
  const cmd = 'script' in opts.command
    ? `exec sh ${shellQuote(opts.command.script)}`
    : `exec ${opts.command.map(shellQuote).join(' ')}`;
  return `${env}\n${cmd}\n`;
}

/** The serial field of a ubdN= argument (`<file>[,<cow-file>],<serial>`), with its comma; '' without a serial. */
function serialArg(disk: UmlDisk): string {
  if (disk.serial === undefined) return '';
  if (!/^[A-Za-z0-9._-]+$/.test(disk.serial)) throw new Error(`runInUml: disk serial "${disk.serial}" must be letters, digits, ".", "_" or "-" (a comma or colon would split the ubd argument)`);
  return `,${disk.serial}`;
}

/** Boots a UML guest, runs the command, and returns its exit code and output. */
export async function runInUml(opts: UmlOptions): Promise<UmlResult> {
  const uml = await checkUml();
  if (!('script' in opts.command) && opts.command.length === 0) throw new Error('runInUml: empty command');
  const work = await mkdtemp(join(tmpdir(), 'open-local-uml-'));
  registerTempDir(work);
  try {
    const args = [
      `mem=${opts.memory ?? '1G'}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw',
      'con0=fd:0,fd:1', 'con=null',
    ];
    for (const [i, disk] of (opts.disks ?? []).entries()) {
      if ('cow' in disk) {
        // UML reads a comma in ubdN= as "cow-file,backing-file".
        if (disk.cow.includes(',') || disk.backing.includes(',')) {
          throw new Error(`runInUml: copy-on-write disk paths must not contain a comma: ${disk.cow}, ${disk.backing}`);
        }
        await access(disk.backing, constants.R_OK);
        args.push(`ubd${i}=${disk.cow},${disk.backing}${serialArg(disk)}`);
        continue;
      }
      if ('file' in disk) {
        // UML reads a comma in ubdN= as "image,cow-file".
        if (disk.file.includes(',')) throw new Error(`runInUml: disk image path must not contain a comma: ${disk.file}`);
        await access(disk.file, constants.R_OK | constants.W_OK);
        args.push(`ubd${i}=${disk.file}${disk.serial === undefined ? '' : `,${serialArg(disk)}`}`);
        continue;
      }
      // Size as for truncate(1): '1G', '512M'; the file is sparse and lives in the work dir (deleted below).
      const img = join(work, `disk${i}.img`);
      await writeFile(img, '');
      await truncate(img, parseSize(disk.size));
      args.push(`ubd${i}=${img}${disk.serial === undefined ? '' : `,${serialArg(disk)}`}`);
    }
    if (opts.tap) args.push(`eth0=tuntap,${opts.tap.device}`);
    await writeFile(join(work, 'cmd.sh'), commandScript(opts));
    await writeFile(join(work, 'init'), initScript(work, opts, opts.cwd ?? process.cwd()), { mode: 0o755 });
    args.push(`init=${join(work, 'init')}`);

    const [command, argv] = opts.tap ? ['ip', ['netns', 'exec', opts.tap.netns, uml, ...args]] : [uml, args];
    const consolePath = opts.consoleLog ?? join(work, 'console.log');
    const env = { ...process.env, LD_PRELOAD: await umlXstateShim() };
    const proc = startProcess({ name: 'linux.uml', command, args: argv, logPath: consolePath, processGroup: true, env });
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const state = { timedOut: false };
    const timer = setTimeout(() => {
      state.timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = (): void => {
      proc.kill('SIGKILL');
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      await proc.exited;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      await proc.stop(1000); // reap helper processes of the group, if any
    }
    const consoleText = tailFile(consolePath, 400);
    let rc: string;
    try {
      rc = (await readFile(join(work, 'rc'), 'utf8')).trim();
    } catch {
      const why = state.timedOut
        ? `timed out after ${timeoutMs} ms`
        : opts.signal?.aborted
          ? 'was killed (aborted)'
          : 'did not finish the command';
      const out = tailFile(join(work, 'out'), 20);
      throw new Error(
        `UML guest ${why}.\n--- command output (tail) ---\n${out}\n--- guest console (tail) ---\n${tailFile(consolePath, 30)}`,
      );
    }
    const output = await readFile(join(work, 'out'), 'utf8').catch(() => '');
    return { exitCode: Number(rc), output, console: consoleText };
  } finally {
    await rm(work, { recursive: true, force: true });
    unregisterTempDir(work);
  }
}

/** Bytes of a truncate(1)-style size: '1G', '512M', '100K' or a plain byte count. */
export function parseSize(size: string): number {
  const m = /^(\d+)([KMGT]?)$/i.exec(size.trim());
  if (!m?.[1]) throw new Error(`bad disk size '${size}' (use e.g. 1G, 512M)`);
  const exp = ['', 'K', 'M', 'G', 'T'].indexOf((m[2] ?? '').toUpperCase());
  return Number(m[1]) * 1024 ** exp;
}

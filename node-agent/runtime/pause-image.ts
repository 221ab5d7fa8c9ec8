// The sandbox ("pause") image, built on the node instead of pulled: a static ELF of a few
// instructions that sleeps in a syscall forever, wrapped in a one-file tar and `docker import`ed.
// It holds the pod's network namespace; it has no signal handlers, so teardown SIGKILLs it.
import { Readable } from "node:stream";
import type Dockerode from "dockerode";

export const PAUSE_IMAGE_REPO = "edgeplane/pause";
export const PAUSE_IMAGE_TAG = "1.0";
export const PAUSE_IMAGE = `${PAUSE_IMAGE_REPO}:${PAUSE_IMAGE_TAG}`;

export type ElfArch = "x86_64" | "aarch64";

const LOAD_ADDRESS = 0x400000n;
const ELF_HEADER_BYTES = 64;
const PROGRAM_HEADER_BYTES = 56;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/** x86_64: `1: mov eax, 34 (__NR_pause); syscall; jmp 1b`. */
const X86_64_CODE = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7]);

/**
 * aarch64 has no pause syscall (glibc's pause() is ppoll there): `1: mov x0..x4, #0;
 * mov x8, #73 (__NR_ppoll); svc #0; b 1b` — ppoll with no fds and no timeout blocks forever.
 */
const AARCH64_CODE = (() => {
  const words = [0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800004, 0xd2800928, 0xd4000001, 0x17fffff9];
  const buf = Buffer.alloc(words.length * 4);
  words.forEach((word, i) => buf.writeUInt32LE(word, i * 4));
  return buf;
})();

/** A minimal ELF64 little-endian executable: one PT_LOAD segment (R+X) mapping the whole file. */
export function pauseElf(arch: ElfArch): Buffer {
  const code = arch === "x86_64" ? X86_64_CODE : AARCH64_CODE;
  const codeOffset = ELF_HEADER_BYTES + PROGRAM_HEADER_BYTES;
  const total = codeOffset + code.length;
  const elf = Buffer.alloc(total);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, ELFCLASS64, little-endian, EV_CURRENT, SYSV ABI
  elf.writeUInt16LE(2, 16); // e_type ET_EXEC
  elf.writeUInt16LE(arch === "x86_64" ? EM_X86_64 : EM_AARCH64, 18);
  elf.writeUInt32LE(1, 20); // e_version
  elf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(codeOffset), 24); // e_entry
  elf.writeBigUInt64LE(BigInt(ELF_HEADER_BYTES), 32); // e_phoff
  elf.writeBigUInt64LE(0n, 40); // e_shoff
  elf.writeUInt32LE(0, 48); // e_flags
  elf.writeUInt16LE(ELF_HEADER_BYTES, 52); // e_ehsize
  elf.writeUInt16LE(PROGRAM_HEADER_BYTES, 54); // e_phentsize
  elf.writeUInt16LE(1, 56); // e_phnum
  elf.writeUInt16LE(64, 58); // e_shentsize
  elf.writeUInt16LE(0, 60); // e_shnum
  elf.writeUInt16LE(0, 62); // e_shstrndx
  const ph = ELF_HEADER_BYTES;
  elf.writeUInt32LE(1, ph); // p_type PT_LOAD
  elf.writeUInt32LE(5, ph + 4); // p_flags PF_R | PF_X
  elf.writeBigUInt64LE(0n, ph + 8); // p_offset
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 16); // p_vaddr
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 24); // p_paddr
  elf.writeBigUInt64LE(BigInt(total), ph + 32); // p_filesz
  elf.writeBigUInt64LE(BigInt(total), ph + 40); // p_memsz
  elf.writeBigUInt64LE(0x1000n, ph + 48); // p_align
  code.copy(elf, codeOffset);
  return elf;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** A ustar archive holding one regular file, enough for `docker import`. */
export function singleFileTar(name: string, content: Buffer, mode = 0o755): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write(octal(mode, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii");
  header.write(octal(0, 8), 116, "ascii");
  header.write(octal(content.length, 12), 124, "ascii");
  header.write(octal(0, 12), 136, "ascii");
  header.write("        ", 148, "ascii"); // checksum counted as spaces
  header.write("0", 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export function hostElfArch(arch = process.arch): ElfArch {
  if (arch === "x64") return "x86_64";
  if (arch === "arm64") return "aarch64";
  throw new Error(`unsupported architecture ${arch}: the agent runs on amd64 and arm64`);
}

/** Reuses PAUSE_IMAGE when the engine has it, else imports it. */
export async function ensurePauseImage(docker: Dockerode): Promise<string> {
  try {
    await docker.getImage(PAUSE_IMAGE).inspect();
    return PAUSE_IMAGE;
  } catch {
    // not there yet
  }
  const tar = singleFileTar("pause", pauseElf(hostElfArch()));
  const stream = await docker.importImage(Readable.from([tar]) as unknown as NodeJS.ReadableStream, {
    repo: PAUSE_IMAGE_REPO,
    tag: PAUSE_IMAGE_TAG,
    changes: ['ENTRYPOINT ["/pause"]'],
  } as unknown as Record<string, unknown>);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
  await docker.getImage(PAUSE_IMAGE).inspect();
  return PAUSE_IMAGE;
}

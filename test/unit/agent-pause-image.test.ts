// The agent's generated pause binary (a valid static ELF for x86_64 and aarch64) and its tar.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../node-agent/config";
import { microTime } from "../../shared/time";
import { nodeConditions } from "../../node-agent/node/node-status";
import { renewIntervalMs } from "../../node-agent/node/lease";
import { hostElfArch, pauseElf, singleFileTar } from "../../node-agent/runtime/pause-image";

describe("pauseElf", () => {
  it.each([
    ["x86_64", 62],
    ["aarch64", 183],
  ] as const)("%s: ELF64 LE executable, one R+X PT_LOAD covering the file, entry inside it", (arch, machine) => {
    const elf = pauseElf(arch);
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(elf[4]).toBe(2);
    expect(elf[5]).toBe(1);
    expect(elf.readUInt16LE(16)).toBe(2);
    expect(elf.readUInt16LE(18)).toBe(machine);
    expect(elf.readUInt16LE(56)).toBe(1);
    const phoff = Number(elf.readBigUInt64LE(32));
    expect(elf.readUInt32LE(phoff)).toBe(1);
    expect(elf.readUInt32LE(phoff + 4)).toBe(5);
    const vaddr = elf.readBigUInt64LE(phoff + 16);
    expect(Number(elf.readBigUInt64LE(phoff + 32))).toBe(elf.length);
    const entry = elf.readBigUInt64LE(24);
    expect(entry).toBeGreaterThanOrEqual(vaddr + 120n);
    expect(entry).toBeLessThan(vaddr + BigInt(elf.length));
  });
  it("x86_64 code loops on syscall 34 (pause)", () => {
    expect([...pauseElf("x86_64").subarray(120)]).toEqual([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]);
  });
  it("maps Node's arch names", () => {
    expect(hostElfArch("x64")).toBe("x86_64");
    expect(hostElfArch("arm64")).toBe("aarch64");
    expect(() => hostElfArch("ia32")).toThrow();
  });
});

describe("singleFileTar", () => {
  it("is a ustar archive with a valid checksum, padded to blocks", () => {
    const tar = singleFileTar("pause", Buffer.from("abc"));
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(257, 262).toString()).toBe("ustar");
    const header = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString(), 8);
    header.fill(0x20, 148, 156);
    expect(header.reduce((a, b) => a + b, 0)).toBe(stored);
    expect(tar.subarray(512, 515).toString()).toBe("abc");
  });
});

describe("agent config, lease time, node conditions", () => {
  it("validates the config and names the field", () => {
    expect(parseConfig({ server: "https://h:1", nodeName: "vm1", token: "t" })).toMatchObject({ dataDir: "/var/lib/edgeplane", token: "t" });
    expect(() => parseConfig({ server: "h", nodeName: "vm1" })).toThrow(/server/);
    expect(() => parseConfig({ server: "https://h", nodeName: "VM_1" })).toThrow(/nodeName/);
    expect(() => parseConfig({ server: "https://h", nodeName: "vm1", labels: { a: 1 } })).toThrow(/labels/);
    expect(parseConfig({ server: "https://h", nodeName: "vm1", nodeLeaseDurationSeconds: 120 }).nodeLeaseDurationSeconds).toBe(120);
    expect(() => parseConfig({ server: "https://h", nodeName: "vm1", nodeLeaseDurationSeconds: 0 })).toThrow(/nodeLeaseDurationSeconds/);
  });
  it("renews the Lease every quarter of its duration, up to 4 % later", () => {
    expect(renewIntervalMs(40, 0)).toBe(10_000);
    expect(renewIntervalMs(40, 1)).toBe(10_400);
    expect(renewIntervalMs(3600, 0)).toBe(900_000);
  });
  it("renewTime is a MicroTime", () => {
    expect(microTime(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02T03:04:05.678000Z");
  });
  it("Ready is False with a reason when Docker is down", () => {
    const down = nodeConditions({ ok: false, error: "connect ENOENT /var/run/docker.sock" }, { memory: false, disk: false, pid: false });
    expect(down.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "KubeletNotReady" });
    const up = nodeConditions({ ok: true }, { memory: true, disk: false, pid: false });
    expect(up.find((c) => c.type === "Ready")!.status).toBe("True");
    expect(up.find((c) => c.type === "MemoryPressure")).toMatchObject({ status: "True", reason: "KubeletHasInsufficientMemory" });
  });
});

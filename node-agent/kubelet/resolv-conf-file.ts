// Each pod's /etc/resolv.conf lives at <dataDir>/pods/<uid>/etc/resolv.conf and is bind-mounted
// into every container of the pod (kubelet writes it beside the sandbox the same way). Docker's
// own file would name its embedded 127.0.0.11 resolver, which knows nothing of the cluster.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PodNetwork } from "../network/pod-network";
import { podDir } from "../volumes/volumes";
import type { Pod } from "./types";

/** Writes the file when its content changes; returns its path. */
export async function writePodResolvConf(network: PodNetwork, dataDir: string, pod: Pod): Promise<string> {
  const dir = join(podDir(dataDir, pod.metadata.uid ?? ""), "etc");
  const file = join(dir, "resolv.conf");
  const text = network.resolvConf({
    namespace: pod.metadata.namespace ?? "default",
    dnsPolicy: pod.spec.dnsPolicy,
    hostNetwork: pod.spec.hostNetwork,
    dnsConfig: pod.spec.dnsConfig,
  });
  if ((await readFile(file, "utf8").catch(() => undefined)) === text) return file;
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
  return file;
}

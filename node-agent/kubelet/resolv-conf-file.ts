// Each pod's /etc/resolv.conf and /etc/hosts live under <dataDir>/pods/<uid>/etc/ and are
// bind-mounted into every container of the pod (kubelet writes them beside the sandbox the same
// way). Docker's own resolv.conf would name its embedded 127.0.0.11 resolver, which knows nothing
// of the cluster.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PodNetwork } from "../network/pod-network";
import { podDir } from "../volumes/volumes";
import type { Pod } from "./types";

async function writeIfChanged(pod: Pod, dataDir: string, name: string, text: string): Promise<string> {
  const dir = join(podDir(dataDir, pod.metadata.uid ?? ""), "etc");
  const file = join(dir, name);
  if ((await readFile(file, "utf8").catch(() => undefined)) === text) return file;
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
  return file;
}

/** kubelet's managed hosts file: localhost, then the pod's IP with its hostname (and FQDN with a subdomain). */
export function podHosts(pod: Pod, podIP: string, clusterDomain: string): string {
  const hostname = (pod.spec.hostname ?? pod.metadata.name).slice(0, 63);
  const names = pod.spec.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace ?? "default"}.svc.${clusterDomain}\t${hostname}` : hostname;
  return [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    `${podIP}\t${names}`,
    "",
  ].join("\n");
}

export function writePodHosts(dataDir: string, pod: Pod, podIP: string, clusterDomain: string): Promise<string> {
  return writeIfChanged(pod, dataDir, "hosts", podHosts(pod, podIP, clusterDomain));
}

/** Writes the file when its content changes; returns its path. */
export async function writePodResolvConf(network: PodNetwork, dataDir: string, pod: Pod): Promise<string> {
  const text = network.resolvConf({
    namespace: pod.metadata.namespace ?? "default",
    dnsPolicy: pod.spec.dnsPolicy,
    hostNetwork: pod.spec.hostNetwork,
    dnsConfig: pod.spec.dnsConfig,
  });
  return writeIfChanged(pod, dataDir, "resolv.conf", text);
}

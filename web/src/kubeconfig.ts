// "Download kubeconfig": the current token as a kubeconfig for kubectl and helm, pointing at the
// server the console came from. The cluster's CA comes from kube-public's cluster-info ConfigMap
// where the cluster publishes one (kubeadm's convention; `npm start` does, for its local CA); a
// Worker on Cloudflare serves a publicly trusted certificate and needs none.
import { apiGet } from "./api";

interface ClusterInfo {
  data?: { kubeconfig?: string };
}

async function publishedCa(token: string): Promise<string | undefined> {
  try {
    const info = await apiGet<ClusterInfo>("/api/v1/namespaces/kube-public/configmaps/cluster-info", token);
    if (!info.data?.kubeconfig) return undefined;
    const { parse } = await import("yaml");
    const config = parse(info.data.kubeconfig) as { clusters?: { cluster?: { "certificate-authority-data"?: string } }[] };
    return config.clusters?.[0]?.cluster?.["certificate-authority-data"];
  } catch {
    return undefined; // not published, or not readable with this token: the download goes without
  }
}

export async function buildKubeconfig(token: string, origin = location.origin): Promise<string> {
  const ca = await publishedCa(token);
  const name = location.hostname || "edgeplane";
  const { stringify } = await import("yaml");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: origin, ...(ca ? { "certificate-authority-data": ca } : {}) } }],
    users: [{ name: `${name}-console`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-console`, namespace: "default" } }],
    "current-context": name,
  });
}

export async function downloadKubeconfig(token: string): Promise<void> {
  const text = await buildKubeconfig(token);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
  link.download = "kubeconfig";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

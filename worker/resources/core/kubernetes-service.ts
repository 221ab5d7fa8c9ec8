// The `kubernetes` Service in default: the API server's own address, at the first address of the
// Service range as upstream reserves it. Bootstrap creates it; the service controller recreates it
// when it is deleted. One definition, so the two cannot drift.
import { KUBERNETES_SERVICE_IP } from "../../../shared/cluster-network";
import type { KubeObject } from "../types";

export const KUBERNETES_SERVICE_PORT = { name: "https", port: 443, protocol: "TCP", targetPort: 443 };

export function kubernetesService(ip: string = KUBERNETES_SERVICE_IP): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: { type: "ClusterIP", clusterIP: ip, clusterIPs: [ip], ports: [{ ...KUBERNETES_SERVICE_PORT }], sessionAffinity: "None" },
  };
}

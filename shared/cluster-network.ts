// The cluster's address plan, kubeadm's defaults: the Worker allocates Service addresses and node
// blocks from it, the agent routes and answers DNS for it. One place, so the two sides agree.

/** kube-apiserver's default --service-cluster-ip-range. */
export const SERVICE_CIDR = "10.96.0.0/12";
/** The pod network; each node gets a /24 of it (kube-controller-manager's --cluster-cidr). */
export const CLUSTER_CIDR = "10.244.0.0/16";
export const NODE_CIDR_MASK_SIZE = 24;
/** The first Service address belongs to the `kubernetes` Service in default, as upstream reserves it. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";
/** The cluster DNS Service (kube-system/kube-dns) sits at .10, as kubeadm puts CoreDNS; pods' resolv.conf names it. */
export const KUBE_DNS_SERVICE_IP = "10.96.0.10";
export const CLUSTER_DOMAIN = "cluster.local";
/** kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

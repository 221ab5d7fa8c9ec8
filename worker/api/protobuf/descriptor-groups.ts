// Our own field table for apps/v1, networking.k8s.io/v1, authentication.k8s.io/v1, autoscaling/v1
// and policy/v1, from the struct tags in k8s.io/api/<group>/v1/types.go.
import type { MessageTable } from "./descriptor-types";

export const GROUP_MESSAGES: MessageTable = {
  Deployment: ["1 metadata ObjectMeta", "2 spec DeploymentSpec", "3 status DeploymentStatus"],
  DeploymentSpec: [
    "1 replicas? int32", "2 selector LabelSelector", "3 template PodTemplateSpec", "4 strategy DeploymentStrategy",
    "5 minReadySeconds int32", "6 revisionHistoryLimit? int32", "7 paused bool", "9 progressDeadlineSeconds? int32",
  ],
  DeploymentStrategy: ["1 type string", "2 rollingUpdate RollingUpdateDeployment"],
  RollingUpdateDeployment: ["1 maxUnavailable? IntOrString", "2 maxSurge? IntOrString"],
  DeploymentStatus: [
    "1 observedGeneration int64", "2 replicas int32", "3 updatedReplicas int32", "4 availableReplicas int32",
    "5 unavailableReplicas int32", "6 conditions DeploymentCondition[]", "7 readyReplicas int32",
    "8 collisionCount? int32", "9 terminatingReplicas? int32",
  ],
  DeploymentCondition: [
    "1 type string", "2 status string", "4 reason string", "5 message string", "6 lastUpdateTime Time",
    "7 lastTransitionTime Time",
  ],
  ReplicaSet: ["1 metadata ObjectMeta", "2 spec ReplicaSetSpec"],
  ReplicaSetSpec: ["1 replicas? int32", "2 selector LabelSelector", "3 template PodTemplateSpec", "4 minReadySeconds int32"],
  Ingress: ["1 metadata ObjectMeta", "2 spec IngressSpec", "3 status IngressStatus"],
  IngressSpec: [
    "1 defaultBackend IngressBackend", "2 tls IngressTLS[]", "3 rules IngressRule[]", "4 ingressClassName? string",
  ],
  IngressBackend: ["3 resource TypedLocalObjectReference", "4 service IngressServiceBackend"],
  TypedLocalObjectReference: ["1 apiGroup? string", "2 kind string", "3 name string"],
  IngressServiceBackend: ["1 name string", "2 port ServiceBackendPort"],
  ServiceBackendPort: ["1 name string", "2 number int32"],
  IngressTLS: ["1 hosts string[]", "2 secretName string"],
  IngressRule: ["1 host string", "2 * IngressRuleValue"],
  IngressRuleValue: ["1 http HTTPIngressRuleValue"],
  HTTPIngressRuleValue: ["1 paths HTTPIngressPath[]"],
  HTTPIngressPath: ["1 path string", "2 backend IngressBackend", "3 pathType? string"],
  IngressStatus: ["1 loadBalancer IngressLoadBalancerStatus"],
  IngressLoadBalancerStatus: ["1 ingress IngressLoadBalancerIngress[]"],
  IngressLoadBalancerIngress: ["1 ip string", "2 hostname string", "4 ports IngressPortStatus[]"],
  IngressPortStatus: ["1 port int32", "2 protocol string", "3 error? string"],
  TokenRequest: ["1 metadata ObjectMeta", "2 spec TokenRequestSpec", "3 status TokenRequestStatus"],
  TokenRequestSpec: ["1 audiences string[]", "3 boundObjectRef BoundObjectReference", "4 expirationSeconds? int64"],
  BoundObjectReference: ["1 kind string", "2 apiVersion string", "3 name string", "4 uid string"],
  TokenRequestStatus: ["1 token string", "2 expirationTimestamp Time"],
  Scale: ["1 metadata ObjectMeta", "2 spec ScaleSpec", "3 status ScaleStatus"],
  ScaleSpec: ["1 replicas int32"],
  ScaleStatus: ["1 replicas int32", "2 selector string"],
  HorizontalPodAutoscaler: [
    "1 metadata ObjectMeta", "2 spec HorizontalPodAutoscalerSpec", "3 status HorizontalPodAutoscalerStatus",
  ],
  HorizontalPodAutoscalerSpec: [
    "1 scaleTargetRef CrossVersionObjectReference", "2 minReplicas? int32", "3 maxReplicas int32",
    "4 targetCPUUtilizationPercentage? int32",
  ],
  CrossVersionObjectReference: ["1 kind string", "2 name string", "3 apiVersion string"],
  HorizontalPodAutoscalerStatus: [
    "1 observedGeneration? int64", "2 lastScaleTime Time", "3 currentReplicas int32", "4 desiredReplicas int32",
    "5 currentCPUUtilizationPercentage? int32",
  ],
  Eviction: ["1 metadata ObjectMeta", "2 deleteOptions DeleteOptions"],
};

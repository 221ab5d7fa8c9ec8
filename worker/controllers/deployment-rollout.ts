// The two rollout strategies (pkg/controller/deployment/rolling.go and recreate.go), written
// against the working copies of one DeploymentPass; each returns the status to write.
import type { KubeObject } from "../resources/types";
import { byCreation, isComplete, maxUnavailable, replicasOf, specReplicas } from "./deployment-util";
import { cleanupDeployment, getAllReplicaSets, newRSNewReplicas, rolloutStatus, scaleRSAndRecord, type DeploymentPass } from "./deployment-sync";
import { num, rec, type Json } from "../../shared/json";

function available(rs: KubeObject): number {
  return num(rec(rs.status).availableReplicas);
}

/** reconcileNewReplicaSet: grow the new set up to what surge allows (or shrink it to spec). */
function reconcileNewRS(pass: DeploymentPass, all: KubeObject[], newRS: KubeObject): boolean {
  const desired = replicasOf(pass.d);
  if (replicasOf(newRS) === desired) return false;
  if (replicasOf(newRS) > desired) return scaleRSAndRecord(pass, newRS, desired);
  return scaleRSAndRecord(pass, newRS, newRSNewReplicas(pass.d, all, newRS));
}

/** cleanupUnhealthyReplicas: old sets lose their unavailable pods first, oldest set first. */
function cleanupUnhealthy(pass: DeploymentPass, oldRSs: KubeObject[], maxCleanup: number): number {
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    if (replicasOf(rs) === 0) continue;
    const unhealthy = replicasOf(rs) - available(rs);
    if (unhealthy <= 0) continue;
    const count = Math.min(maxCleanup - total, unhealthy);
    scaleRSAndRecord(pass, rs, replicasOf(rs) - count);
    total += count;
  }
  return total;
}

/** scaleDownOldReplicaSetsForRollingUpdate: only as far as keeps minAvailable pods available. */
function scaleDownOld(pass: DeploymentPass, all: KubeObject[], oldRSs: KubeObject[]): number {
  const minAvailable = replicasOf(pass.d) - maxUnavailable(pass.d);
  const availableNow = all.reduce((n, rs) => n + available(rs), 0);
  if (availableNow <= minAvailable) return 0;
  const totalToScaleDown = availableNow - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= totalToScaleDown) break;
    if (replicasOf(rs) === 0) continue;
    const count = Math.min(replicasOf(rs), totalToScaleDown - total);
    scaleRSAndRecord(pass, rs, replicasOf(rs) - count);
    total += count;
  }
  return total;
}

/** reconcileOldReplicaSets: how many old pods may go without breaking maxUnavailable. */
function reconcileOld(pass: DeploymentPass, all: KubeObject[], oldRSs: KubeObject[], newRS: KubeObject): boolean {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = replicasOf(pass.d) - maxUnavailable(pass.d);
  const newUnavailable = replicasOf(newRS) - available(newRS);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthy(pass, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOld(pass, all, oldRSs);
  return cleaned + scaledDown > 0;
}

export function rolloutRolling(pass: DeploymentPass): Json {
  const { newRS, oldRSs } = getAllReplicaSets(pass, true);
  if (!newRS) return rolloutStatus(pass, undefined, oldRSs);
  const all = [...oldRSs, newRS];
  if (reconcileNewRS(pass, all, newRS)) return rolloutStatus(pass, newRS, all);
  if (reconcileOld(pass, all, oldRSs, newRS)) return rolloutStatus(pass, newRS, all);
  if (isComplete(pass.d, pass.status)) cleanupDeployment(pass, oldRSs);
  return rolloutStatus(pass, newRS, all);
}

export function rolloutRecreate(pass: DeploymentPass, oldPodsRunning: (olds: readonly KubeObject[]) => boolean): Json {
  const first = getAllReplicaSets(pass, false);
  const allFirst = [...first.oldRSs, ...(first.newRS ? [first.newRS] : [])];
  let scaledDown = false;
  for (const rs of first.oldRSs) if (replicasOf(rs) > 0 && scaleRSAndRecord(pass, rs, 0)) scaledDown = true;
  if (scaledDown || oldPodsRunning(first.oldRSs)) return rolloutStatus(pass, first.newRS, allFirst);
  const { newRS, oldRSs } = first.newRS ? first : getAllReplicaSets(pass, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  if (newRS) scaleRSAndRecord(pass, newRS, replicasOf(pass.d));
  if (isComplete(pass.d, pass.status)) cleanupDeployment(pass, oldRSs);
  return rolloutStatus(pass, newRS, all);
}


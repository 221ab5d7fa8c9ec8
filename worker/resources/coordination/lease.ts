// Lease (coordination.k8s.io/v1): node heartbeats in kube-node-lease and leader election.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource } from "../meta";
import { forbidden, invalid, metadataNameCauses, notSupported, type Cause } from "../shared/field-errors";
import { timeSchema } from "../shared/common-schemas";
import { dropGeneration } from "../shared/prepare-helpers";
import { asRecord, str } from "../../../shared/json";

const STRATEGIES = ["OldestEmulationVersion"];

export const leaseSchema = objectSchema({
  spec: z
    .object({
      holderIdentity: z.string().optional(),
      leaseDurationSeconds: z.number().int().optional(),
      acquireTime: timeSchema,
      renewTime: timeSchema,
      leaseTransitions: z.number().int().optional(),
      strategy: z.string().optional(),
      preferredHolder: z.string().optional(),
    })
    .optional(),
});

export const leases = resource({
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  listKind: "LeaseList",
  plural: "leases",
  allowCreateOnUpdate: true,
  singular: "lease",
  namespaced: true,
  schema: leaseSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Holder", type: "string", description: "holderIdentity contains the identity of the holder of a current lease.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", str(asRecord(o.spec)?.holderIdentity) ?? "", age(o, now)],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    const spec = asRecord(obj.spec) ?? {};
    const duration = spec.leaseDurationSeconds;
    if (typeof duration === "number" && duration <= 0) causes.push(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
    const transitions = spec.leaseTransitions;
    if (typeof transitions === "number" && transitions < 0) {
      causes.push(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
    }
    const strategy = str(spec.strategy);
    if (strategy !== undefined && !STRATEGIES.includes(strategy)) causes.push(notSupported("spec.strategy", strategy, STRATEGIES));
    if (str(spec.preferredHolder) && !strategy) causes.push(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
    return causes;
  },
});

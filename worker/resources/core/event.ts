// Event (core/v1): what kubectl get events / describe read. Selectable by involvedObject.*
// (kubectl describe filters on name, namespace and uid), reason, source, type.
import { z } from "zod";
import { NAME_COLUMN, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { dns1123SubdomainCauses, invalid, metadataNameCauses, qualifiedNameCauses, required, type Cause } from "../shared/field-errors";
import { objectReferenceSchema, timeSchema } from "../shared/common-schemas";
import { since } from "../shared/print-cells";
import { dropGeneration } from "../shared/prepare-helpers";
import { asRecord, str } from "../../../shared/json";

const REPORTING_INSTANCE_MAX = 128;
const ACTION_MAX = 128;
const REASON_MAX = 128;
const NOTE_MAX = 1024;

export const eventSchema = objectSchema({
  involvedObject: objectReferenceSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: timeSchema,
  lastTimestamp: timeSchema,
  count: z.number().int().optional(),
  type: z.string().optional(),
  eventTime: timeSchema,
  series: z.object({ count: z.number().int().optional(), lastObservedTime: timeSchema }).optional(),
  action: z.string().optional(),
  related: objectReferenceSchema.optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});

const involved = (o: KubeObject, key: string): string => str(asRecord(o.involvedObject)?.[key]) ?? "";

function eventSource(o: KubeObject): string {
  const source = asRecord(o.source) ?? {};
  const component = str(source.component) || str(o.reportingComponent) || "";
  const instance = str(source.host) || str(o.reportingInstance) || "";
  return instance ? `${component}, ${instance}` : component;
}

/** printers.go printEvent, wide (server-side tables carry every column). */
function printEvent(o: KubeObject, now: Date): unknown[] {
  const first = o.firstTimestamp ? since(o.firstTimestamp, now) : since(o.eventTime, now);
  let last = o.lastTimestamp ? since(o.lastTimestamp, now) : first;
  let count = typeof o.count === "number" ? o.count : 0;
  const series = asRecord(o.series);
  if (series) {
    last = since(series.lastObservedTime, now);
    count = typeof series.count === "number" ? series.count : 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = involved(o, "kind").toLowerCase();
  const name = involved(o, "name");
  const target = name ? `${kind}/${name}` : kind;
  const message = (str(o.message) ?? "").trim();
  return [last, str(o.type) ?? "", str(o.reason) ?? "", target, involved(o, "fieldPath"), eventSource(o), message, first, count, o.metadata.name ?? ""];
}

/** legacyValidateEvent (core/v1 requests). */
function validateEvent(obj: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const ns = obj.metadata.namespace ?? "";
  const involvedNs = involved(obj, "namespace");
  if (!obj.eventTime) {
    if (involvedNs === "" ? ns !== "" && ns !== "default" : ns !== involvedNs) {
      causes.push(invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    }
  } else {
    if (involvedNs === "" && ns !== "default" && ns !== "kube-system") {
      causes.push(invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    }
    const component = str(obj.reportingComponent) ?? "";
    if (component === "") causes.push(required("reportingComponent"));
    causes.push(...qualifiedNameCauses("reportingComponent", component).filter(() => component !== ""));
    const instance = str(obj.reportingInstance) ?? "";
    if (instance === "") causes.push(required("reportingInstance"));
    if (instance.length > REPORTING_INSTANCE_MAX) causes.push(invalid("reportingInstance", "", `can have at most ${REPORTING_INSTANCE_MAX} characters`));
    const action = str(obj.action) ?? "";
    if (action === "") causes.push(required("action"));
    if (action.length > ACTION_MAX) causes.push(invalid("action", "", `can have at most ${ACTION_MAX} characters`));
    const reason = str(obj.reason) ?? "";
    if (reason === "") causes.push(required("reason"));
    if (reason.length > REASON_MAX) causes.push(invalid("reason", "", `can have at most ${REASON_MAX} characters`));
    if ((str(obj.message) ?? "").length > NOTE_MAX) causes.push(invalid("message", "", `can have at most ${NOTE_MAX} characters`));
  }
  if (ns) causes.push(...dns1123SubdomainCauses("namespace", ns));
  return causes;
}

/** Go serialises these without omitempty; kubectl and client-go expect them present. */
function fillSerializedFields(obj: KubeObject): void {
  if (obj.reportingComponent === undefined) obj.reportingComponent = "";
  if (obj.reportingInstance === undefined) obj.reportingInstance = "";
  if (obj.eventTime === undefined) obj.eventTime = null;
  if (obj.firstTimestamp === undefined) obj.firstTimestamp = null;
  if (obj.lastTimestamp === undefined) obj.lastTimestamp = null;
  if (obj.source === undefined) obj.source = {};
  if (obj.involvedObject === undefined) obj.involvedObject = {};
}

export const events = resource({
  group: "",
  version: "v1",
  kind: "Event",
  listKind: "EventList",
  plural: "events",
  wakesControllers: false,
  allowCreateOnUpdate: true,
  singular: "event",
  shortNames: ["ev"],
  namespaced: true,
  schema: eventSchema,
  subresources: {},
  selectableFields: {
    "involvedObject.kind": (o) => involved(o, "kind"),
    "involvedObject.namespace": (o) => involved(o, "namespace"),
    "involvedObject.name": (o) => involved(o, "name"),
    "involvedObject.uid": (o) => involved(o, "uid"),
    "involvedObject.apiVersion": (o) => involved(o, "apiVersion"),
    "involvedObject.resourceVersion": (o) => involved(o, "resourceVersion"),
    "involvedObject.fieldPath": (o) => involved(o, "fieldPath"),
    reason: (o) => str(o.reason) ?? "",
    reportingComponent: (o) => str(o.reportingComponent) ?? "",
    source: (o) => str(asRecord(o.source)?.component) || str(o.reportingComponent) || "",
    type: (o) => str(o.type) ?? "",
  },
  printerColumns: [
    { name: "Last Seen", type: "string", description: "The time at which the most recent occurrence of this event was recorded.", priority: 0 },
    { name: "Type", type: "string", description: "Type of this event (Normal, Warning), new types could be added in the future", priority: 0 },
    { name: "Reason", type: "string", description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", priority: 0 },
    { name: "Object", type: "string", description: "The object that this event is about.", priority: 0 },
    { name: "Subobject", type: "string", description: "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.", priority: 1 },
    { name: "Source", type: "string", description: "The component reporting this event. Should be a short machine understandable string.", priority: 1 },
    { name: "Message", type: "string", description: "A human-readable description of the status of this operation.", priority: 0 },
    { name: "First Seen", type: "string", description: "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", priority: 1 },
    { name: "Count", type: "string", description: "The number of times this event has occurred.", priority: 1 },
    { ...NAME_COLUMN, priority: 1 },
  ],
  printRow: printEvent,
  prepareForCreate(obj) {
    dropGeneration(obj);
    fillSerializedFields(obj);
  },
  prepareForUpdate: (obj) => fillSerializedFields(obj),
  validate: validateEvent,
});

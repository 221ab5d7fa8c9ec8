// A small kind table for the OpenAPI and discovery tests: a Deployment-like kind with merge-keyed
// lists, a recursive schema, status and scale subresources, plus a few real cluster kinds.
import { z } from "zod";
import { ingresses } from "../../worker/resources/networking/ingress";
import { namespaces } from "../../worker/resources/core/namespace";
import { services } from "../../worker/resources/core/service";
import { intOrString, labelSelectorSchema, mapList, objectMetaSchema, objectSchema, resource } from "../../worker/resources/meta";
import type { ResourceDef } from "../../worker/resources/types";

const container = z.object({
  name: z.string(),
  image: z.string().optional(),
  ports: mapList(z.object({ containerPort: z.number().int(), protocol: z.string().optional() }), "containerPort", ["protocol"]).optional(),
});

interface Tree {
  name?: string;
  children?: Tree[];
}
const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string().optional(), children: z.array(tree).optional() }));

export const widgets: ResourceDef = resource({
  group: "apps",
  version: "v1",
  kind: "Widget",
  listKind: "WidgetList",
  plural: "widgets",
  singular: "widget",
  shortNames: ["wd"],
  categories: ["all"],
  namespaced: true,
  schema: objectSchema({
    spec: z
      .object({
        replicas: z.number().int().min(0).optional(),
        selector: labelSelectorSchema.optional(),
        maxSurge: intOrString.optional(),
        paused: z.boolean().nullable().optional(),
        tree: tree.optional(),
        template: z
          .object({
            metadata: objectMetaSchema.optional(),
            spec: z.object({ containers: mapList(container, "name") }),
          })
          .optional(),
      })
      .optional(),
    status: z.object({ replicas: z.number().int().positive().optional() }).optional(),
  }),
  subresources: { status: true, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" } },
  printerColumns: [],
  printRow: () => [],
});

export const FIXTURE_RESOURCES: ResourceDef[] = [namespaces, services, widgets, ingresses];

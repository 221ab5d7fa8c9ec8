// The import rules `npm test` enforces (dependency-cruiser): no cycles, type-only imports
// included, and the layers. The agent and the Worker share code only through shared/, which
// imports neither. In the Worker, kind definitions, controllers and the store sit below the HTTP
// layer and the Durable Objects. Product code never imports tests, benchmarks or scripts.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle, even of types only, ties every module in it to every other (issue 12).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "agent-not-to-worker",
      comment: "The node agent runs on a VM; what it shares with the Worker lives in shared/.",
      severity: "error",
      from: { path: "^node-agent/" },
      to: { path: "^worker/" },
    },
    {
      name: "worker-not-to-agent",
      severity: "error",
      from: { path: "^worker/" },
      to: { path: "^node-agent/" },
    },
    {
      name: "shared-is-a-leaf",
      comment: "shared/ depends on nothing of either side, so both can take it whole.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(worker|node-agent|web|test|bench|scripts)/" },
    },
    {
      name: "resources-are-definitions",
      comment: "A kind's definition (worker/resources) is read by the API and the controllers, and reads neither.",
      severity: "error",
      from: { path: "^worker/resources/" },
      to: { path: "^worker/(api|controllers|durable|nodes|tunnel|leases)/|^worker/app" },
    },
    {
      name: "controllers-are-pure",
      comment: "Controllers reconcile snapshots into actions: no HTTP layer, no Durable Objects (STYLE 3).",
      severity: "error",
      from: { path: "^worker/controllers/" },
      to: { path: "^worker/(api|durable|nodes|tunnel)/|^worker/app" },
    },
    {
      name: "store-below-api",
      comment: "The store serves the API and the loops; it knows neither.",
      severity: "error",
      from: { path: "^worker/store/" },
      to: { path: "^worker/(api|controllers|durable|nodes|tunnel)/|^worker/app" },
    },
    {
      name: "product-not-to-tests",
      severity: "error",
      from: { path: "^(shared|worker|node-agent|web)/" },
      to: { path: "^(test|bench|scripts)/" },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports count: `env.ts` typing its bindings by the Durable Object classes once put
    // nearly every module of the Worker in one cycle.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
  },
};

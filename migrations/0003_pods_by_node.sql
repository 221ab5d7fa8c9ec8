-- Pods by spec.nodeName (hand-written; drizzle-kit does not model expression indexes), as
-- kube-apiserver indexes them: a node's pods (the Node authorizer's lookups, the agent's list)
-- are found without reading every pod. Partial: only pod rows carry the index, and pods are
-- stored as JSON text (never encrypted). Queries must say this exact expression to use it; the
-- kind's columns lead so that, with no statistics, SQLite still prefers it to the primary key.
CREATE INDEX `objects_pods_by_node` ON `objects` (`api_group`, `resource`, coalesce(json_extract("value", '$.spec.nodeName'), ''), `namespace`, `name`)
WHERE `api_group` = '' AND `resource` = 'pods';

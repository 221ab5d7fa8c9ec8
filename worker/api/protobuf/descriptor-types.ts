// Types of our compact protobuf message table: one line per field, "N jsonName type",
// parsed once into FieldDef maps by descriptor.ts.
export type MessageTable = Record<string, readonly string[]>;

/** Wire-level scalars, and the k8s types with a special JSON form (metav1.Time, Quantity, …). */
export type ScalarType = "string" | "bytes" | "int32" | "int64" | "bool" | "double";
export type SpecialType = "Time" | "MicroTime" | "Quantity" | "IntOrString" | "FieldsV1";

export interface FieldDef {
  no: number;
  /** JSON name; for an inlined (embedded) struct, the fields are merged into the parent. */
  name: string;
  /** A scalar, a special type, or the name of another message in the table. */
  type: string;
  repeated: boolean;
  /** Value type of a map<string, V> (repeated entry messages {1: key, 2: value}). */
  mapValue?: string;
  /** A Go pointer (`optional` set only when set): its zero value is kept, not dropped as empty. */
  pointer: boolean;
  /** Go embedded struct with `json:",inline"`: merge its fields into the parent object. */
  inline: boolean;
}

// Helpers for prepareForCreate/prepareForUpdate: they run before the schema parse, so they must
// tolerate any JSON shape a client sends and leave bad shapes to it (shared/json's `asRecord`).
import { asRecord, type Json } from "../../../shared/json";
import type { KubeObject } from "../types";


/** obj[key] as an object, created when absent; undefined when it holds something else. */
export function ensureRec(obj: Json, key: string): Json | undefined {
  if (obj[key] === undefined || obj[key] === null) obj[key] = {};
  return asRecord(obj[key]);
}

/** The object's spec, created when absent (kube-apiserver always serialises a spec). */
export function specOf(obj: KubeObject): Json | undefined {
  return ensureRec(obj, "spec");
}

/** Kinds whose upstream strategy never sets metadata.generation drop the generic one. */
export function dropGeneration(obj: KubeObject): void {
  delete obj.metadata.generation;
}

/** Adds a finalizer once (admission plugins that protect objects in use). */
export function addFinalizer(obj: KubeObject, finalizer: string): void {
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) obj.metadata.finalizers = [...finalizers, finalizer];
}

/** UTF-8 text to standard base64, as Secret.stringData becomes Secret.data upstream. */
export function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  const CHUNK_BYTES = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK_BYTES));
  }
  return btoa(binary);
}

export function sortedKeys(m: unknown): string[] {
  const r = asRecord(m);
  return r ? Object.keys(r).sort() : [];
}

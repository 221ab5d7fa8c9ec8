// Types for spdy-transport's SPDY header-compression dictionaries (the package ships no types).
declare module "spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js" {
  const dictionaries: Record<string, Buffer>;
  export default dictionaries;
}

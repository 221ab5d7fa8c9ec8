// wrangler bundles *.sql as text (the Text rule in wrangler.toml).
declare module "*.sql" {
  const text: string;
  export default text;
}

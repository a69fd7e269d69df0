// The control plane's tables. Names follow the seed test plan so its SQL runs unchanged.
// Declared by area; drizzle-kit (drizzle.config.ts) and the code read them all from here.
export * from "./catalog";
export * from "./finops";
export * from "./fleet";
export * from "./sessions";
export * from "./tenants";
export * from "./values";

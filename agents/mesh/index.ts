/** The mesh: active set, gating, gossip, DHT, probes, reputation, deny-set, freshness. See docs/mesh.md. */
export * from "./constants.js";
export * from "./errors.js";
export * from "./freshness.js";
export * from "./active-set.js";
export * from "./gating.js";
export * from "./gossip.js";
export * from "./dht.js";
export * from "./probe.js";
export * from "./reputation.js";
export * from "./blacklist.js";
export * from "./services.js";
export * from "./metrics-hooks.js";

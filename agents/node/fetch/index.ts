/** The node's fetch service (/cdn/fetch/1.0.0): see service.ts and docs/delivery.md §1. */
export { fetchService, FetchService, type FetchComponents, type FetchServiceDeps, type FetchServiceOptions } from "./service.js";
export { FETCH_LIMITS, type FetchLimits } from "./constants.js";
export { Refusal } from "./refusal.js";

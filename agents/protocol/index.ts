/** Protocol core: content addressing, signed messages, pricing and wire format. Pure: no network, disk or chain. */
export * from "./constants.js";
export * from "./errors.js";
export * from "./bytes.js";
export * from "./merkle.js";
export * from "./verifier.js";
export * from "./cid.js";
export * from "./eip712.js";
export * from "./eip712-fast.js";
export * from "./secp.js";
export * from "./signed.js";
export * from "./pricing.js";
export * from "./wire/framing.js";
export * from "./wire/messages.js";

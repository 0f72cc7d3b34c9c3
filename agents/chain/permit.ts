/**
 * EIP-2612 permits for the USDC token, with the token's EIP-712 domain read the way wallets read
 * it: EIP-5267 `eip712Domain()` when the token has it; otherwise `name()` and `version()` (Circle's
 * USDC has no EIP-5267: "USD Coin", "2"); for a token with neither, a configured override. The
 * domain is cached per chain and token, and checked against the token's `DOMAIN_SEPARATOR()`
 * when it has one, so a wrong domain is refused before a transaction is sent.
 */
import { Signature, TypedDataEncoder, type ContractRunner, type Provider, type Signer, type TypedDataDomain } from "ethers";
import { IEIP5267Token__factory, IUSDC__factory } from "../../types/ethers-contracts/index.js";
import { chainTime, type Contracts } from "./contracts.js";
import { isRevert } from "./errors.js";
import { CdnError } from "../protocol/errors.js";
import { Permit } from "../protocol/eip712.js";

/** A token's permit domain as configured for tokens with neither EIP-5267 nor `version()`. */
export interface PermitDomainOverride {
  name: string;
  version: string;
}

export class PermitDomainError extends CdnError {
  readonly code = "ERR_PERMIT_DOMAIN";
}

/** A signed permit as NodeRegistry's PermitData and PaymentChannel's *WithPermit take it. */
export interface PermitSignature {
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

const cache = new Map<string, Promise<TypedDataDomain>>();

const ABSENT = Symbol("absent");
/** A view call's result, or ABSENT when the token does not have that function (a revert or an empty answer); RPC failures throw. */
async function optional<T>(call: () => Promise<T>): Promise<T | typeof ABSENT> {
  try {
    return await call();
  } catch (error) {
    if (isRevert(error)) return ABSENT;
    throw error;
  }
}

async function readDomain(token: string, runner: ContractRunner, chainId: bigint, override?: PermitDomainOverride): Promise<TypedDataDomain> {
  let domain: TypedDataDomain;
  const published = override ? ABSENT : await optional(() => IEIP5267Token__factory.connect(token, runner).eip712Domain());
  if (override) {
    domain = { name: override.name, version: override.version, chainId, verifyingContract: token };
  } else if (published !== ABSENT) {
    // EIP-5267: bit i of `fields` says whether name, version, chainId, verifyingContract, salt is in the domain
    const fields = Number(published.fields);
    domain = {};
    if (fields & 1) domain.name = published.name;
    if (fields & 2) domain.version = published.version;
    if (fields & 4) domain.chainId = published.chainId;
    if (fields & 8) domain.verifyingContract = published.verifyingContract;
    if (fields & 16) domain.salt = published.salt;
  } else {
    const usdc = IUSDC__factory.connect(token, runner);
    const [name, version] = await Promise.all([optional(() => usdc.name()), optional(() => usdc.version())]);
    if (name === ABSENT || version === ABSENT) {
      throw new PermitDomainError(
        `The token at ${token} publishes neither eip712Domain() nor name() and version(), so its permit domain is unknown: set usdcPermitDomain { "name", "version" } in the configuration.`,
      );
    }
    domain = { name, version, chainId, verifyingContract: token };
  }
  const separator = await optional(() => IUSDC__factory.connect(token, runner).DOMAIN_SEPARATOR());
  if (separator !== ABSENT && separator !== TypedDataEncoder.hashDomain(domain)) {
    throw new PermitDomainError(
      `The permit domain ${JSON.stringify({ name: domain.name, version: domain.version })} does not match the token's DOMAIN_SEPARATOR() at ${token}: ${override ? "fix usdcPermitDomain in the configuration" : "set usdcPermitDomain in the configuration"}.`,
    );
  }
  return domain;
}

/**
 * Forgets every cached domain: for a process that outlives a chain (a devnet restarted with another
 * token at the same address, in-process test chains that share chain id and addresses).
 */
export function forgetPermitDomains(): void {
  cache.clear();
}

/** The token's EIP-712 permit domain (cached per chain and token; a failed read is not cached). */
export async function permitDomain(
  token: string,
  runner: ContractRunner & { provider?: Provider | null },
  options: { chainId?: bigint; override?: PermitDomainOverride } = {},
): Promise<TypedDataDomain> {
  const provider = (runner.provider ?? runner) as Provider;
  const chainId = options.chainId ?? (await provider.getNetwork()).chainId;
  const key = `${chainId}:${token.toLowerCase()}:${options.override ? `${options.override.name}/${options.override.version}` : ""}`;
  let domain = cache.get(key);
  if (!domain) {
    domain = readDomain(token, runner, chainId, options.override);
    cache.set(key, domain);
    domain.catch(() => cache.delete(key));
  }
  return domain;
}

/**
 * Signs an EIP-2612 permit of `owner` for `spender` over `value` until `deadline` (a chain time:
 * see chainTime in ./contracts.ts). `runner` reads the token (default: the signer's provider).
 */
export async function signPermit(
  owner: Signer,
  token: string,
  permit: { spender: string; value: bigint; deadline: bigint },
  options: { runner?: ContractRunner & { provider?: Provider | null }; chainId?: bigint; override?: PermitDomainOverride } = {},
): Promise<PermitSignature> {
  const runner = options.runner ?? owner.provider;
  if (!runner) throw new PermitDomainError("Cannot sign a permit: the signer is not connected to a chain.");
  const ownerAddress = await owner.getAddress();
  const [domain, nonce] = await Promise.all([permitDomain(token, runner, options), IUSDC__factory.connect(token, runner).nonces(ownerAddress)]);
  const signature = Signature.from(await owner.signTypedData(domain, Permit, { owner: ownerAddress, spender: permit.spender, value: permit.value, nonce, deadline: permit.deadline }));
  return { value: permit.value, deadline: permit.deadline, v: signature.v, r: signature.r, s: signature.s };
}

/** How long a permit stays valid after the chain's latest block: enough for the transaction to be mined. */
export const PERMIT_TTL_SECONDS = 3600n;

/** A permit deadline from chain time (the latest block), never the local clock. */
export async function permitDeadline(contracts: Pick<Contracts, "provider">): Promise<bigint> {
  return (await chainTime(contracts.provider)) + PERMIT_TTL_SECONDS;
}

/** A permit of `owner` on the deployment's USDC for `spender`, deadline from chain time unless given. */
export async function signUsdcPermit(
  contracts: Pick<Contracts, "provider" | "chainId" | "deployment" | "usdcPermitDomain">,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline?: bigint,
): Promise<PermitSignature> {
  return signPermit(
    owner,
    contracts.deployment.usdc,
    { spender, value, deadline: deadline ?? (await permitDeadline(contracts)) },
    { runner: contracts.provider, chainId: contracts.chainId, override: contracts.usdcPermitDomain },
  );
}

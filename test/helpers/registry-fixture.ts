/**
 * Registry fixture: deploys TestUSDC (USDC-shaped), ProtocolParams (with a test signer standing in for the
 * timelock, so tests change parameters directly), NodeRegistry, ContentBlacklist and
 * OriginRegistry, funds operators, and offers helpers that register nodes the way an operator's
 * agent would (node-key EIP-712 signature, optional EIP-2612 permit).
 *
 * Reuse:
 *   const { ethers, networkHelpers } = await network.create();
 *   const fixture = () => deployRegistryFixture(ethers);            // slasher = ctx.slasher signer
 *   const fixture = () => deployRegistryFixture(ethers, { slasher: null }); // wire it yourself:
 *   await ctx.registry.connect(ctx.deployer).initializeSlasher(await paymentChannel.getAddress());
 *   const { nodeId, node } = await registerNode(ctx, { capacityMbps: 100 });
 */
import { AbiCoder, Wallet, keccak256, type BaseContract, type ContractTransactionResponse, type Signer } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { KeyRotation, NodeRegistration, domainFor, type KeyRotationValue, type NodeRegistrationValue } from "../../agents/protocol/eip712.js";
import { signPermit as signTokenPermit } from "../../agents/chain/permit.js";
import type { ContentBlacklist, TestUSDC, NodeRegistry, OriginRegistry, ProtocolParams } from "../../types/ethers-contracts/index.js";

export const USDC = 1_000_000n; // one USDC in base units
export const DAY = 86_400n;
/** Far-future signature deadline. */
export const FAR = 2n ** 40n;

export interface RegistryContext {
  ethers: HardhatEthers;
  chainId: bigint;
  deployer: HardhatEthersSigner;
  /** Stands in for the DAO timelock: owns ProtocolParams, writes the blacklist and origins. */
  timelock: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  operator2: HardhatEthersSigner;
  compliance: HardhatEthersSigner;
  /** The slashing contract stand-in (a signer), unless deployed with `{ slasher: null }`. */
  slasher: HardhatEthersSigner;
  other: HardhatEthersSigner;
  usdc: TestUSDC;
  params: ProtocolParams;
  registry: NodeRegistry;
  blacklist: ContentBlacklist;
  origins: OriginRegistry;
}

export interface FixtureOptions {
  /** Slasher wired in the constructor: an address, `undefined` for the `slasher` signer, `null` for none (use initializeSlasher). */
  slasher?: string | null;
  /** USDC minted to each operator (default 10,000,000 USDC). */
  mint?: bigint;
}

export async function deployRegistryFixture(ethers: HardhatEthers, options: FixtureOptions = {}): Promise<RegistryContext> {
  const [deployer, timelock, operator, operator2, compliance, slasher, other] = await ethers.getSigners();
  const usdc = (await ethers.deployContract("TestUSDC", [deployer.address])) as unknown as TestUSDC;
  const params = (await ethers.deployContract("ProtocolParams", [timelock.address])) as unknown as ProtocolParams;
  const slasherAddress = options.slasher === undefined ? slasher.address : (options.slasher ?? ethers.ZeroAddress);
  const registry = (await ethers.deployContract("NodeRegistry", [await usdc.getAddress(), await params.getAddress(), slasherAddress])) as unknown as NodeRegistry;
  const blacklist = (await ethers.deployContract("ContentBlacklist", [await params.getAddress(), timelock.address])) as unknown as ContentBlacklist;
  const origins = (await ethers.deployContract("OriginRegistry", [await registry.getAddress(), timelock.address])) as unknown as OriginRegistry;
  const mint = options.mint ?? 10_000_000n * USDC;
  for (const s of [operator, operator2, other]) await usdc.mint(s.address, mint);
  const { chainId } = await ethers.provider.getNetwork();
  return {
    ethers,
    chainId,
    deployer,
    timelock,
    operator,
    operator2,
    compliance,
    slasher,
    other,
    usdc,
    params,
    registry,
    blacklist,
    origins,
  };
}

// ------------------------------------------------------------------ identities and signatures

export interface NodeIdentity {
  wallet: Wallet;
  address: string;
  /** Uncompressed public key without the 0x04 prefix (64 bytes, hex). */
  publicKey: string;
}

export function nodeIdentity(wallet: Wallet = Wallet.createRandom() as unknown as Wallet): NodeIdentity {
  const publicKey = "0x" + wallet.signingKey.publicKey.slice(4);
  return { wallet, address: wallet.address, publicKey };
}

/** keccak256(abi.encode(bytes publicKey, string[] multiaddrs)), as NodeRegistry.metadataHashOf. */
export function metadataHash(publicKey: string, multiaddrs: string[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "string[]"], [publicKey, multiaddrs]));
}

export function defaultMultiaddrs(node: NodeIdentity): string[] {
  return [`/ip4/127.0.0.1/tcp/4001`, `/dns4/${node.address.slice(2, 10).toLowerCase()}.example.net/tcp/443/wss`];
}

export async function signRegistration(ctx: RegistryContext, node: NodeIdentity, value: NodeRegistrationValue, verifyingContract?: string, chainId?: bigint): Promise<string> {
  const domain = domainFor("nodeRegistry", chainId ?? ctx.chainId, verifyingContract ?? (await ctx.registry.getAddress()));
  return node.wallet.signTypedData(domain, NodeRegistration, value);
}

export async function signRotation(ctx: RegistryContext, newNode: NodeIdentity, value: KeyRotationValue): Promise<string> {
  const domain = domainFor("nodeRegistry", ctx.chainId, await ctx.registry.getAddress());
  return newNode.wallet.signTypedData(domain, KeyRotation, value);
}

export interface PermitData {
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

/** An EIP-2612 permit from `owner` to `spender` on the test token (the agents' signPermit: domain read as wallets do). */
export async function signPermit(ctx: RegistryContext, owner: Signer, spender: string, value: bigint, deadline: bigint = FAR): Promise<PermitData> {
  return signTokenPermit(owner, await ctx.usdc.getAddress(), { spender, value, deadline });
}

// ------------------------------------------------------------------ registration

export interface Registration {
  nodeKey: string;
  capacityMbps: number | bigint;
  region: number;
  pricePerGiB: bigint;
  bond: bigint;
  deadline: bigint;
  publicKey: string;
  multiaddrs: string[];
}

export interface RegisterOptions {
  operator?: Signer;
  node?: NodeIdentity;
  capacityMbps?: number;
  region?: number;
  pricePerGiB?: bigint;
  /** Default: requiredBond(capacityMbps). */
  bond?: bigint;
  multiaddrs?: string[];
  deadline?: bigint;
  /** Bond via EIP-2612 permit in the same transaction (default: approve, then register). */
  permit?: boolean;
}

export interface Registered {
  nodeId: bigint;
  node: NodeIdentity;
  operator: Signer;
  reg: Registration;
  signature: string;
  tx: ContractTransactionResponse;
}

/** Builds the registration struct and the node key's signature for `operator` (no transaction). */
export async function prepareRegistration(ctx: RegistryContext, opts: RegisterOptions = {}): Promise<{ reg: Registration; signature: string; node: NodeIdentity; operator: Signer }> {
  const operator = opts.operator ?? ctx.operator;
  const node = opts.node ?? nodeIdentity();
  const capacityMbps = opts.capacityMbps ?? 100;
  const multiaddrs = opts.multiaddrs ?? defaultMultiaddrs(node);
  const bond = opts.bond ?? (await ctx.registry.requiredBond(capacityMbps));
  const deadline = opts.deadline ?? FAR;
  const reg: Registration = {
    nodeKey: node.address,
    capacityMbps,
    region: opts.region ?? 1,
    pricePerGiB: opts.pricePerGiB ?? 10_000n, // 0.01 USDC per GiB
    bond,
    deadline,
    publicKey: node.publicKey,
    multiaddrs,
  };
  const signature = await signRegistration(ctx, node, {
    operator: await operator.getAddress(),
    nodeKey: node.address,
    metadataHash: metadataHash(node.publicKey, multiaddrs),
    nonce: await ctx.registry.keyNonce(node.address),
    deadline,
  });
  return { reg, signature, node, operator };
}

/** Registers a node (approve + register, or registerWithPermit) and returns its id. */
export async function registerNode(ctx: RegistryContext, opts: RegisterOptions = {}): Promise<Registered> {
  const { reg, signature, node, operator } = await prepareRegistration(ctx, opts);
  const registry = ctx.registry.connect(operator) as NodeRegistry;
  let tx: ContractTransactionResponse;
  if (opts.permit) {
    const permit = await signPermit(ctx, operator, await ctx.registry.getAddress(), reg.bond);
    tx = await registry.registerWithPermit(reg, signature, permit);
  } else {
    await (ctx.usdc.connect(operator) as TestUSDC).approve(await ctx.registry.getAddress(), reg.bond);
    tx = await registry.register(reg, signature);
  }
  await tx.wait();
  const nodeId = await ctx.registry.nodeIdOf(node.address);
  return { nodeId, node, operator, reg, signature, tx };
}

/** Connects a typed contract to a signer, keeping its type. */
export function as<T extends BaseContract>(contract: T, signer: Signer): T {
  return contract.connect(signer) as T;
}

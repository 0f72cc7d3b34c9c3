/**
 * PaymentChannel fixture and signing helpers, shared by the channel, slashing, reentrancy and
 * invariant tests. Deploys the channel contract against test-only mocks of the registry and the
 * blacklist (contracts/test/Mock*.sol) and a ProtocolParams whose "timelock" is a test signer, so
 * tests change parameters directly. Every signature goes through agents/protocol/eip712.ts.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { Signature, Wallet, type Signer, type TypedDataDomain } from "ethers";
import { domainFor, Voucher, ServeCommitment, WatchtowerAuth, type ServeCommitmentValue, type WatchtowerAuthValue } from "../../agents/protocol/eip712.js";
import type { MockContentBlacklist, MockNodeRegistry, TestUSDC, PaymentChannel, ProtocolParams } from "../../types/ethers-contracts/index.js";

export const USDC = 1_000_000n;
export const HOUR = 3600n;
export const DAY = 86_400n;
/** secp256k1 group order (for malleable-signature tests). */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface ChannelContext {
  connection: NetworkConnection;
  chainId: bigint;
  deployer: Signer;
  /** Plays the timelock of ProtocolParams (sets parameters directly). */
  governance: Signer;
  treasury: Signer;
  payer: Signer;
  payer2: Signer;
  operator: Signer;
  nodeKey: Signer;
  watchtower: Signer;
  reporter: Signer;
  others: Signer[];
  nodeId: bigint;
  usdc: TestUSDC;
  params: ProtocolParams;
  registry: MockNodeRegistry;
  blacklist: MockContentBlacklist;
  channels: PaymentChannel;
  address: string;
}

export const NODE_BOND = 1_000n * USDC;

export async function deployChannels(connection: NetworkConnection): Promise<ChannelContext> {
  const { ethers } = connection;
  const [deployer, governance, treasury, payer, payer2, operator, nodeKey, watchtower, reporter, ...others] = await ethers.getSigners();
  const usdc = (await ethers.deployContract("TestUSDC", [await deployer.getAddress()])) as unknown as TestUSDC;
  const params = (await ethers.deployContract("ProtocolParams", [await governance.getAddress()])) as unknown as ProtocolParams;
  const registry = (await ethers.deployContract("MockNodeRegistry", [await usdc.getAddress()])) as unknown as MockNodeRegistry;
  const blacklist = (await ethers.deployContract("MockContentBlacklist")) as unknown as MockContentBlacklist;
  const channels = (await ethers.deployContract("PaymentChannel", [
    await usdc.getAddress(),
    await params.getAddress(),
    await registry.getAddress(),
    await blacklist.getAddress(),
    await treasury.getAddress(),
  ])) as unknown as PaymentChannel;
  const address = await channels.getAddress();
  await registry.setSlasher(address);
  await usdc.mint(await registry.getAddress(), NODE_BOND);
  await registry.register(await nodeKey.getAddress(), await operator.getAddress(), NODE_BOND);
  for (const s of [payer, payer2, watchtower, reporter]) {
    await usdc.mint(await s.getAddress(), 10_000n * USDC);
    await usdc.connect(s).approve(address, ethers.MaxUint256);
  }
  // Recipients hold some USDC already, so that gas figures are steady-state (no zero-to-nonzero balance).
  for (const s of [operator, treasury, nodeKey]) await usdc.mint(await s.getAddress(), 1n * USDC);
  const { chainId } = await ethers.provider.getNetwork();
  return {
    connection,
    chainId,
    deployer,
    governance,
    treasury,
    payer,
    payer2,
    operator,
    nodeKey,
    watchtower,
    reporter,
    others,
    nodeId: 1n,
    usdc,
    params,
    registry,
    blacklist,
    channels,
    address,
  };
}

export function channelDomain(ctx: { chainId: bigint; address: string }): TypedDataDomain {
  return domainFor("paymentChannel", ctx.chainId, ctx.address);
}

export async function signVoucher(signer: Signer | Wallet, domain: TypedDataDomain, channelId: string, cumulativeAmount: bigint): Promise<string> {
  return signer.signTypedData(domain, Voucher, { channelId, cumulativeAmount });
}

export async function signAuth(signer: Signer | Wallet, domain: TypedDataDomain, value: WatchtowerAuthValue) {
  return signer.signTypedData(domain, WatchtowerAuth, value);
}

export async function signCommitment(signer: Signer | Wallet, domain: TypedDataDomain, value: ServeCommitmentValue) {
  return signer.signTypedData(domain, ServeCommitment, value);
}

/** The same signature with s → n − s and v flipped (valid for raw ecrecover, rejected by OZ ECDSA). */
export function malleate(signature: string): string {
  const sig = Signature.from(signature);
  const s = SECP256K1_N - BigInt(sig.s);
  const v = sig.v === 27 ? 28 : 27;
  return sig.r + s.toString(16).padStart(64, "0") + v.toString(16);
}

let nonceCounter = 0n;
/** A fresh nonce for channel ids. */
export function nextNonce(): string {
  nonceCounter += 1n;
  return "0x" + nonceCounter.toString(16).padStart(64, "0");
}

export interface OpenOptions {
  payer?: Signer;
  nodeKey?: string;
  deposit?: bigint;
  voucherSigner?: string;
  signerExpiry?: bigint;
  nonce?: string;
}

/**
 * Opens a channel from `ctx.payer` to `ctx.nodeKey` (a signer or an address), 100 USDC and a fresh
 * nonce unless `opts` says otherwise; returns its id (known before mining), the transaction and the nonce.
 */
export async function openChannel(ctx: { channels: PaymentChannel; payer: Signer; nodeKey: Signer | string }, opts: OpenOptions = {}) {
  const payer = opts.payer ?? ctx.payer;
  const nodeKey = opts.nodeKey ?? (typeof ctx.nodeKey === "string" ? ctx.nodeKey : await ctx.nodeKey.getAddress());
  const nonce = opts.nonce ?? nextNonce();
  const channelId = await ctx.channels.channelIdFor(await payer.getAddress(), nodeKey, nonce);
  const tx = await ctx.channels.connect(payer).open(nodeKey, opts.deposit ?? 100n * USDC, opts.voucherSigner ?? ethers0, opts.signerExpiry ?? 0n, nonce);
  return { channelId, tx, nonce };
}

const ethers0 = "0x0000000000000000000000000000000000000000";
export const ZERO_ADDRESS = ethers0;
export const NO_AUTH = { nodeId: 0n, watchtower: ethers0, beneficiary: ethers0, maxBps: 0, expiry: 0n };

/** The latest block as a serve commitment's anchor: `{timestamp, anchorBlock, anchorHash}` (what an honest node signs). */
export async function latestAnchor(provider: { getBlock(tag: "latest"): Promise<{ number: number; hash: string | null; timestamp: number } | null> }) {
  const block = (await provider.getBlock("latest"))!;
  return { timestamp: BigInt(block.timestamp), anchorBlock: BigInt(block.number), anchorHash: block.hash! };
}

/** A random wallet (session keys, foreign signers). */
export function randomWallet(): Wallet {
  return Wallet.createRandom() as unknown as Wallet;
}

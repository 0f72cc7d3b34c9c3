import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import { Signature, TypedDataEncoder, computeAddress, concat, keccak256, toBeHex, toUtf8Bytes, ZeroAddress } from "ethers";
import { KeyRotation, NodeRegistration, DOMAIN_NAMES } from "../../agents/protocol/eip712.js";
import {
  DAY,
  FAR,
  USDC,
  as,
  defaultMultiaddrs,
  deployRegistryFixture,
  metadataHash,
  nodeIdentity,
  prepareRegistration,
  registerNode,
  signPermit,
  signRegistration,
  signRotation,
  type NodeIdentity,
  type RegistryContext,
} from "../helpers/registry-fixture.js";
import { GasRecorder } from "../helpers/gas.js";
import { expectRejectsZeroAddresses } from "../helpers/wiring.js";
import type { TestUSDC, NodeRegistry } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const Status = { None: 0n, Registered: 1n, Exiting: 2n, Withdrawn: 3n };
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const K_DEFAULT = 1n * USDC;
const ALPHA_DEFAULT = 10n ** 18n;
const MIN_BOND_DEFAULT = 100n * USDC;
const UNBONDING = 14n * DAY;
const GRACE = 14n * DAY;

describe("NodeRegistry", function () {
  const fixture = () => deployRegistryFixture(ethers);
  let ctx: RegistryContext;
  let registry: NodeRegistry;
  let registryAddress: string;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    registry = ctx.registry;
    registryAddress = await registry.getAddress();
  });

  const approve = (signer: RegistryContext["operator"], amount: bigint) => as(ctx.usdc, signer).approve(registryAddress, amount);

  /** The operations both registry property tests draw (each test adds its own). */
  type SequenceOp =
    | { kind: "register"; mbps: number; extra: bigint }
    | { kind: "topUp"; node: number; amount: bigint }
    | { kind: "capacity"; node: number; mbps: number }
    | { kind: "slash"; node: number; bps: number }
    | { kind: "time"; seconds: number };
  /**
   * Runs fast-check sequences of registry operations, each on a fresh fixture: the shared ones here,
   * the rest through `other`; a custom-error refusal (matching `refusal`) changes nothing and the
   * sequence goes on; `check` runs after every step.
   */
  async function registrySequences<Op extends { kind: string }>(
    op: fc.Arbitrary<SequenceOp | Op>,
    options: { minLength: number; numRuns: number; refusal: RegExp },
    other: (c: RegistryContext, o: Op, id: bigint | undefined) => Promise<unknown>,
    check: (c: RegistryContext, ids: bigint[], o: SequenceOp | Op) => Promise<void>,
  ) {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: options.minLength, maxLength: 12 }), async (ops) => {
        const c = await networkHelpers.loadFixture(fixture);
        const r = c.registry;
        const ids: bigint[] = [];
        for (const o of ops) {
          const id = ids.length > 0 && "node" in o ? ids[(o.node as number) % ids.length] : undefined;
          const shared = o as SequenceOp;
          try {
            if (shared.kind === "register") {
              const bond = (await r.requiredBond(shared.mbps)) + shared.extra;
              ids.push((await registerNode(c, { capacityMbps: shared.mbps, bond })).nodeId);
            } else if (shared.kind === "time") await time.increase(shared.seconds);
            else if (shared.kind === "topUp" && id !== undefined) {
              await as(c.usdc as TestUSDC, c.operator).approve(await r.getAddress(), shared.amount);
              await as(r, c.operator).topUp(id, shared.amount);
            } else if (shared.kind === "capacity" && id !== undefined) await as(r, c.operator).setCapacity(id, shared.mbps);
            else if (shared.kind === "slash" && id !== undefined) await as(r, c.slasher).slash(id, shared.bps);
            else if (!["register", "time", "topUp", "capacity", "slash"].includes(o.kind)) await other(c, o as Op, id);
          } catch (e) {
            // a legitimate refusal changes nothing; anything else is a failure
            if (!options.refusal.test(String(e))) throw e;
          }
          await check(c, ids, o);
        }
      }),
      { numRuns: options.numRuns },
    );
  }

  /** A node bound by a curve change from `bindsAt`: active through its last second of grace, inactive at it. */
  async function expectGraceEndsAt(nodeKey: string, bindsAt: bigint) {
    await time.increaseTo(bindsAt - 1n);
    expect(await registry.isActive(nodeKey), "active in the grace period's last second").to.equal(true);
    await time.increaseTo(bindsAt);
    expect(await registry.isActive(nodeKey), "inactive once the new curve binds").to.equal(false);
  }

  async function rotationArgs(nodeId: bigint, operator: string, newNode: NodeIdentity, deadline = FAR) {
    const multiaddrs = defaultMultiaddrs(newNode);
    const signature = await signRotation(ctx, newNode, {
      nodeId,
      operator,
      newNodeKey: newNode.address,
      metadataHash: metadataHash(newNode.publicKey, multiaddrs),
      nonce: await registry.keyNonce(newNode.address),
      deadline,
    });
    return [nodeId, newNode.address, newNode.publicKey, multiaddrs, deadline, signature] as const;
  }

  describe("deployment and wiring", () => {
    it("uses the shared EIP-712 domain and type hashes", async () => {
      const domain = await registry.eip712Domain();
      expect(domain.name).to.equal(DOMAIN_NAMES.nodeRegistry);
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(ctx.chainId);
      expect(domain.verifyingContract).to.equal(registryAddress);
      expect(await registry.NODE_REGISTRATION_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(TypedDataEncoder.from(NodeRegistration).encodeType("NodeRegistration"))));
      expect(await registry.KEY_ROTATION_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(TypedDataEncoder.from(KeyRotation).encodeType("KeyRotation"))));
    });

    it("fixes the slasher in the constructor; initializeSlasher is then locked", async () => {
      expect(await registry.slasher()).to.equal(ctx.slasher.address);
      await expect(as(registry, ctx.deployer).initializeSlasher(ctx.other.address))
        .to.be.revertedWithCustomError(registry, "NodeRegistrySlasherLocked")
        .withArgs(ctx.deployer.address, ctx.slasher.address);
    });

    it("lets only the deployer wire a missing slasher, once", async () => {
      const r = await ethers.deployContract("NodeRegistry", [ctx.usdc, ctx.params, ZeroAddress]);
      expect(await r.slasher()).to.equal(ZeroAddress);
      await expect(r.connect(ctx.other).initializeSlasher(ctx.other.address)).to.be.revertedWithCustomError(r, "NodeRegistrySlasherLocked").withArgs(ctx.other.address, ZeroAddress);
      await expect(r.connect(ctx.deployer).initializeSlasher(ZeroAddress)).to.be.revertedWithCustomError(r, "NodeRegistryZeroAddress");
      await expect(r.connect(ctx.deployer).initializeSlasher(ctx.slasher.address)).to.be.revertedWithCustomError(r, "NodeRegistrySlasherNotContract").withArgs(ctx.slasher.address);
      const slashingContract = await ctx.blacklist.getAddress(); // any deployed contract stands in
      await expect(r.connect(ctx.deployer).initializeSlasher(slashingContract)).to.emit(r, "SlasherInitialized").withArgs(slashingContract);
      await expect(r.connect(ctx.deployer).initializeSlasher(await ctx.usdc.getAddress()))
        .to.be.revertedWithCustomError(r, "NodeRegistrySlasherLocked")
        .withArgs(ctx.deployer.address, slashingContract);
      expect(await r.slasher()).to.equal(slashingContract);
    });

    it("refuses slashing while no slasher is wired", async () => {
      const r = await ethers.deployContract("NodeRegistry", [ctx.usdc, ctx.params, ZeroAddress]);
      await expect(r.connect(ctx.other).slash(1n, 100n)).to.be.revertedWithCustomError(r, "NodeRegistryNotSlasher").withArgs(ctx.other.address);
    });

    it("rejects zero token or params addresses", async () => {
      // the slasher may be zero (wired later by initializeSlasher)
      await expectRejectsZeroAddresses(ethers, "NodeRegistry", [ctx.usdc, ctx.params], [ZeroAddress]);
    });
  });

  describe("register", () => {
    it("stores the record, pulls the bond and publishes the metadata in the event", async () => {
      const operator = ctx.operator.address;
      const before = await ctx.usdc.balanceOf(operator);
      const bond = (await registry.requiredBond(100n)) + 5n * USDC;
      const { nodeId, node, reg, tx } = await registerNode(ctx, { capacityMbps: 100, bond, region: 7, pricePerGiB: 12_345n });
      const block = await tx.getBlock();
      await expect(tx).to.emit(registry, "NodeRegistered").withArgs(1n, node.address, operator, 100n, 7n, 12_345n, bond, node.publicKey, reg.multiaddrs);
      expect(nodeId).to.equal(1n);
      const rec = await registry.getNode(nodeId);
      expect(rec.nodeKey).to.equal(node.address);
      expect(rec.operator).to.equal(operator);
      expect(rec.registeredAt).to.equal(BigInt(block!.timestamp));
      expect(rec.unbondingEndsAt).to.equal(0n);
      expect(rec.capacityMbps).to.equal(100n);
      expect(rec.region).to.equal(7n);
      expect(rec.status).to.equal(Status.Registered);
      expect(rec.pricePerGiB).to.equal(12_345n);
      expect(rec.bond).to.equal(bond);
      expect(rec.unbonding).to.equal(0n);
      expect(rec.metadataHash).to.equal(metadataHash(node.publicKey, reg.multiaddrs));
      expect(await registry.metadataHashOf(node.publicKey, reg.multiaddrs)).to.equal(rec.metadataHash);
      expect(await registry.metadataBlockOf(nodeId)).to.equal(BigInt(block!.number));
      expect(await registry.bondAnchorOf(nodeId)).to.equal(BigInt(block!.timestamp));
      expect(await ctx.usdc.balanceOf(operator)).to.equal(before - bond);
      expect(await ctx.usdc.balanceOf(registryAddress)).to.equal(bond);
      expect(await registry.nodeCount()).to.equal(1n);
      expect(await registry.keyNonce(node.address)).to.equal(1n);
      expect(await registry.nodeIdOf(node.address)).to.equal(1n);
      expect(await registry.operatorOf(node.address)).to.equal(operator);
      const [id, viaKey] = await registry.nodeOf(node.address);
      expect(id).to.equal(1n);
      expect(viaKey.nodeKey).to.equal(node.address);
      expect(await registry.isActive(node.address)).to.equal(true);
      expect(await registry.isActiveNode(nodeId)).to.equal(true);
      expect(await registry.requiredBondOf(nodeId)).to.equal(await registry.requiredBond(100n));
    });

    it("lets a client derive the node's address (PeerId key) from the event alone", async () => {
      const { tx, node } = await registerNode(ctx);
      const receipt = await tx.wait();
      const log = receipt!.logs.map((l) => registry.interface.parseLog(l)).find((l) => l?.name === "NodeRegistered")!;
      expect(computeAddress("0x04" + (log.args.publicKey as string).slice(2))).to.equal(node.address);
      expect(log.args.multiaddrs).to.deep.equal(defaultMultiaddrs(node));
    });

    it("reports unknown keys and ids as empty", async () => {
      expect(await registry.isActive(ctx.other.address)).to.equal(false);
      expect(await registry.isActiveNode(9n)).to.equal(false);
      expect(await registry.nodeIdOf(ctx.other.address)).to.equal(0n);
      expect(await registry.operatorOf(ctx.other.address)).to.equal(ZeroAddress);
      expect((await registry.getNode(9n)).status).to.equal(Status.None);
      await expect(registry.requiredBondOf(9n)).to.be.revertedWithCustomError(registry, "NodeRegistryUnknownNode").withArgs(9n);
    });

    it("fails for someone else's node key (signature by another key)", async () => {
      const victim = nodeIdentity();
      const attacker = nodeIdentity();
      // the attacker knows the victim's public key, but signs with its own key
      const { reg } = await prepareRegistration(ctx, { node: victim });
      const forged = await signRegistration(ctx, attacker, {
        operator: ctx.operator.address,
        nodeKey: victim.address,
        metadataHash: metadataHash(victim.publicKey, reg.multiaddrs),
        nonce: 0n,
        deadline: reg.deadline,
      });
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, forged)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature").withArgs(victim.address, attacker.address);
    });

    it("fails when another operator submits a node key's signature made for someone else", async () => {
      const { reg, signature } = await prepareRegistration(ctx, { operator: ctx.operator });
      await approve(ctx.operator2, reg.bond);
      await expect(as(registry, ctx.operator2).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
    });

    it("fails to replay a signature: same operator, another operator, after deregistering and withdrawing", async () => {
      const { reg, signature, nodeId } = await registerNode(ctx);
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryKeyAlreadyUsed").withArgs(reg.nodeKey, nodeId);
      await approve(ctx.operator2, reg.bond);
      await expect(as(registry, ctx.operator2).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryKeyAlreadyUsed").withArgs(reg.nodeKey, nodeId);
      await as(registry, ctx.operator).deregister(nodeId);
      await time.increase(UNBONDING);
      await as(registry, ctx.operator).withdraw(nodeId);
      await expect(as(registry, ctx.operator).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryKeyAlreadyUsed").withArgs(reg.nodeKey, nodeId);
    });

    it("fails when the signature carries a used or future nonce", async () => {
      const node = nodeIdentity();
      const { reg } = await prepareRegistration(ctx, { node });
      const wrongNonce = await signRegistration(ctx, node, {
        operator: ctx.operator.address,
        nodeKey: node.address,
        metadataHash: metadataHash(node.publicKey, reg.multiaddrs),
        nonce: 1n,
        deadline: reg.deadline,
      });
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, wrongNonce)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
    });

    it("fails with a signature for another chain", async () => {
      const node = nodeIdentity();
      const { reg } = await prepareRegistration(ctx, { node });
      const value = {
        operator: ctx.operator.address,
        nodeKey: node.address,
        metadataHash: metadataHash(node.publicKey, reg.multiaddrs),
        nonce: 0n,
        deadline: reg.deadline,
      };
      const otherChain = await signRegistration(ctx, node, value, registryAddress, ctx.chainId + 1n);
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, otherChain)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
    });

    it("fails with a signature for another registry address", async () => {
      const other = (await ethers.deployContract("NodeRegistry", [ctx.usdc, ctx.params, ZeroAddress])) as unknown as NodeRegistry;
      const node = nodeIdentity();
      const { reg } = await prepareRegistration(ctx, { node });
      const forOther = await signRegistration(
        ctx,
        node,
        {
          operator: ctx.operator.address,
          nodeKey: node.address,
          metadataHash: metadataHash(node.publicKey, reg.multiaddrs),
          nonce: 0n,
          deadline: reg.deadline,
        },
        await other.getAddress(),
      );
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, forOther)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
      // and it does work where it was meant to go
      await as(ctx.usdc, ctx.operator).approve(await other.getAddress(), reg.bond);
      await expect(other.connect(ctx.operator).register(reg, forOther)).to.emit(other, "NodeRegistered");
    });

    it("fails when the metadata differs from what the node key signed", async () => {
      const { reg, signature } = await prepareRegistration(ctx);
      await approve(ctx.operator, reg.bond);
      const changed = { ...reg, multiaddrs: ["/ip4/10.0.0.1/tcp/1"] };
      await expect(as(registry, ctx.operator).register(changed, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
    });

    it("rejects malleable (high-s) and malformed signatures", async () => {
      const { reg, signature } = await prepareRegistration(ctx);
      await approve(ctx.operator, reg.bond);
      const sig = Signature.from(signature);
      const highS = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
      await expect(as(registry, ctx.operator).register(reg, highS)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature").withArgs(reg.nodeKey, ZeroAddress);
      await expect(as(registry, ctx.operator).register(reg, signature.slice(0, 130)))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature")
        .withArgs(reg.nodeKey, ZeroAddress);
      await expect(as(registry, ctx.operator).register(reg, signature)).to.emit(registry, "NodeRegistered");
    });

    it("accepts a signature at its deadline and rejects it one second later", async () => {
      const now = BigInt(await time.latest());
      const a = await prepareRegistration(ctx, { deadline: now + 100n });
      const b = await prepareRegistration(ctx, { deadline: now + 100n });
      await approve(ctx.operator, a.reg.bond + b.reg.bond);
      await time.setNextBlockTimestamp(now + 100n);
      await expect(as(registry, ctx.operator).register(a.reg, a.signature)).to.emit(registry, "NodeRegistered");
      await time.setNextBlockTimestamp(now + 101n);
      await expect(as(registry, ctx.operator).register(b.reg, b.signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistrySignatureExpired")
        .withArgs(now + 100n, now + 101n);
    });

    it("fails when the public key does not hash to the node key", async () => {
      const node = nodeIdentity();
      const impostor = nodeIdentity();
      const { reg, signature } = await prepareRegistration(ctx, { node });
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register({ ...reg, publicKey: impostor.publicKey }, signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPublicKeyMismatch")
        .withArgs(node.address, impostor.address);
      const compressed = node.wallet.signingKey.compressedPublicKey;
      await expect(as(registry, ctx.operator).register({ ...reg, publicKey: compressed }, signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBadPublicKeyLength")
        .withArgs(33n);
      const prefixed = node.wallet.signingKey.publicKey; // 65 bytes with 0x04
      await expect(as(registry, ctx.operator).register({ ...reg, publicKey: prefixed }, signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBadPublicKeyLength")
        .withArgs(65n);
    });

    it("bounds the multiaddrs: 1 … 8, each 1 … 256 bytes", async () => {
      const cases: Array<{ addrs: string[]; error: string; args: bigint[] }> = [
        { addrs: [], error: "NodeRegistryBadMultiaddrCount", args: [0n, 8n] },
        { addrs: Array.from({ length: 9 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`), error: "NodeRegistryBadMultiaddrCount", args: [9n, 8n] },
        { addrs: ["/ip4/10.0.0.1/tcp/1", ""], error: "NodeRegistryBadMultiaddrLength", args: [1n, 0n, 256n] },
        { addrs: ["/dns4/" + "a".repeat(251)], error: "NodeRegistryBadMultiaddrLength", args: [0n, 257n, 256n] },
      ];
      for (const c of cases) {
        const { reg, signature } = await prepareRegistration(ctx, { multiaddrs: c.addrs });
        await approve(ctx.operator, reg.bond);
        await expect(as(registry, ctx.operator).register(reg, signature))
          .to.be.revertedWithCustomError(registry, c.error)
          .withArgs(...c.args);
      }
      const max = Array.from({ length: 8 }, (_, i) => `/dns4/${i}` + "a".repeat(249));
      expect(new TextEncoder().encode(max[0]).length).to.equal(256);
      await registerNode(ctx, { multiaddrs: max });
    });

    it("bounds capacity (1 … 1,000,000 Mbps) and price (≤ 2^96 − 1)", async () => {
      for (const mbps of [0, 1_000_001]) {
        const { reg, signature } = await prepareRegistration(ctx, { capacityMbps: mbps, bond: 100n * USDC });
        await expect(as(registry, ctx.operator).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryCapacityOutOfBounds").withArgs(BigInt(mbps), 1n, 1_000_000n);
      }
      const { reg, signature } = await prepareRegistration(ctx, { pricePerGiB: 2n ** 96n });
      await expect(as(registry, ctx.operator).register(reg, signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPriceTooHigh")
        .withArgs(2n ** 96n, 2n ** 96n - 1n);
      await registerNode(ctx, { capacityMbps: 1, pricePerGiB: 2n ** 96n - 1n });
      await ctx.usdc.mint(ctx.operator.address, await registry.requiredBond(1_000_000n));
      await registerNode(ctx, { capacityMbps: 1_000_000 });
    });

    it("fails when the bond is below the curve", async () => {
      const required = await registry.requiredBond(1_000n);
      const { reg, signature } = await prepareRegistration(ctx, { capacityMbps: 1_000, bond: required - 1n });
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, signature))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBondTooLow")
        .withArgs(required - 1n, required);
    });

    it("fails without allowance", async () => {
      const { reg, signature } = await prepareRegistration(ctx);
      await expect(as(registry, ctx.operator).register(reg, signature)).to.be.revertedWith("ERC20: transfer amount exceeds allowance");
    });

    it("registers with a permit in one transaction", async () => {
      const { node, tx } = await registerNode(ctx, { permit: true });
      await expect(tx).to.emit(registry, "NodeRegistered");
      expect(await registry.isActive(node.address)).to.equal(true);
      expect(await ctx.usdc.allowance(ctx.operator.address, registryAddress)).to.equal(0n);
    });

    it("is not blocked by someone front-running the same permit", async () => {
      const { reg, signature } = await prepareRegistration(ctx);
      const permit = await signPermit(ctx, ctx.operator, registryAddress, reg.bond);
      // the front-runner submits the permit first
      await as(ctx.usdc, ctx.other).permit(ctx.operator.address, registryAddress, permit.value, permit.deadline, permit.v, permit.r, permit.s);
      await expect(as(registry, ctx.operator).registerWithPermit(reg, signature, permit)).to.emit(registry, "NodeRegistered");
      expect(await registry.isActive(reg.nodeKey)).to.equal(true);
    });

    it("still fails when the permit is invalid and there is no allowance", async () => {
      const { reg, signature } = await prepareRegistration(ctx);
      const permit = await signPermit(ctx, ctx.operator2, registryAddress, reg.bond); // signed by the wrong owner
      await expect(as(registry, ctx.operator).registerWithPermit(reg, signature, permit)).to.be.revertedWith("ERC20: transfer amount exceeds allowance");
    });
  });

  describe("key rotation", () => {
    it("replaces the key with the new key's consent; the old key is inactive at once", async () => {
      const { nodeId, node } = await registerNode(ctx);
      const fresh = nodeIdentity();
      const args = await rotationArgs(nodeId, ctx.operator.address, fresh);
      const tx = await as(registry, ctx.operator).rotateNodeKey(...args);
      await expect(tx).to.emit(registry, "NodeKeyRotated").withArgs(nodeId, node.address, fresh.address, fresh.publicKey, args[3]);
      expect(await registry.isActive(node.address)).to.equal(false);
      expect(await registry.isActive(fresh.address)).to.equal(true);
      expect(await registry.nodeIdOf(node.address)).to.equal(nodeId); // attribution survives
      expect(await registry.nodeIdOf(fresh.address)).to.equal(nodeId);
      expect(await registry.keyNonce(fresh.address)).to.equal(1n);
      const rec = await registry.getNode(nodeId);
      expect(rec.nodeKey).to.equal(fresh.address);
      expect(rec.metadataHash).to.equal(metadataHash(fresh.publicKey, args[3]));
      expect(await registry.metadataBlockOf(nodeId)).to.equal(BigInt((await tx.getBlock())!.number));
    });

    it("fails without the new key's signature (old key or operator signing instead)", async () => {
      const { nodeId, node } = await registerNode(ctx);
      const fresh = nodeIdentity();
      const multiaddrs = defaultMultiaddrs(fresh);
      const value = {
        nodeId,
        operator: ctx.operator.address,
        newNodeKey: fresh.address,
        metadataHash: metadataHash(fresh.publicKey, multiaddrs),
        nonce: 0n,
        deadline: FAR,
      };
      const byOldKey = await signRotation(ctx, node, value);
      await expect(as(registry, ctx.operator).rotateNodeKey(nodeId, fresh.address, fresh.publicKey, multiaddrs, FAR, byOldKey))
        .to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature")
        .withArgs(fresh.address, node.address);
      const domain = { name: DOMAIN_NAMES.nodeRegistry, version: "1", chainId: ctx.chainId, verifyingContract: registryAddress };
      const byOperator = await ctx.operator.signTypedData(domain, KeyRotation, value);
      await expect(as(registry, ctx.operator).rotateNodeKey(nodeId, fresh.address, fresh.publicKey, multiaddrs, FAR, byOperator)).to.be.revertedWithCustomError(
        registry,
        "NodeRegistryInvalidSignature",
      );
      expect(await registry.isActive(node.address)).to.equal(true);
    });

    it("fails for a registration signature passed as a rotation (distinct types)", async () => {
      const { nodeId } = await registerNode(ctx);
      const fresh = nodeIdentity();
      const multiaddrs = defaultMultiaddrs(fresh);
      const regSig = await signRegistration(ctx, fresh, {
        operator: ctx.operator.address,
        nodeKey: fresh.address,
        metadataHash: metadataHash(fresh.publicKey, multiaddrs),
        nonce: 0n,
        deadline: FAR,
      });
      await expect(as(registry, ctx.operator).rotateNodeKey(nodeId, fresh.address, fresh.publicKey, multiaddrs, FAR, regSig)).to.be.revertedWithCustomError(registry, "NodeRegistryInvalidSignature");
    });

    it("fails for a rotation signed for another node id or operator", async () => {
      const a = await registerNode(ctx);
      const b = await registerNode(ctx, { operator: ctx.operator2 });
      const fresh = nodeIdentity();
      const forA = await rotationArgs(a.nodeId, ctx.operator.address, fresh);
      await expect(as(registry, ctx.operator2).rotateNodeKey(b.nodeId, ...(forA.slice(1) as [string, string, string[], bigint, string]))).to.be.revertedWithCustomError(
        registry,
        "NodeRegistryInvalidSignature",
      );
    });

    it("only the operator rotates", async () => {
      const { nodeId } = await registerNode(ctx);
      const args = await rotationArgs(nodeId, ctx.other.address, nodeIdentity());
      await expect(as(registry, ctx.other).rotateNodeKey(...args))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator")
        .withArgs(nodeId, ctx.other.address);
      await expect(as(registry, ctx.other).rotateNodeKey(77n, ...(args.slice(1) as [string, string, string[], bigint, string])))
        .to.be.revertedWithCustomError(registry, "NodeRegistryUnknownNode")
        .withArgs(77n);
    });

    it("refuses a key that is or was in use, and a public key that does not match", async () => {
      const a = await registerNode(ctx);
      const b = await registerNode(ctx);
      const toB = await rotationArgs(a.nodeId, ctx.operator.address, b.node);
      await expect(as(registry, ctx.operator).rotateNodeKey(...toB))
        .to.be.revertedWithCustomError(registry, "NodeRegistryKeyAlreadyUsed")
        .withArgs(b.node.address, b.nodeId);
      const fresh = nodeIdentity();
      await as(registry, ctx.operator).rotateNodeKey(...(await rotationArgs(a.nodeId, ctx.operator.address, fresh)));
      // back to the old key: refused, it was used
      const back = await rotationArgs(a.nodeId, ctx.operator.address, a.node);
      await expect(as(registry, ctx.operator).rotateNodeKey(...back))
        .to.be.revertedWithCustomError(registry, "NodeRegistryKeyAlreadyUsed")
        .withArgs(a.node.address, a.nodeId);
      const other = nodeIdentity();
      const args = await rotationArgs(a.nodeId, ctx.operator.address, other);
      await expect(as(registry, ctx.operator).rotateNodeKey(args[0], args[1], fresh.publicKey, args[3], args[4], args[5]))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPublicKeyMismatch")
        .withArgs(other.address, fresh.address);
    });

    it("rejects an expired rotation signature", async () => {
      const { nodeId } = await registerNode(ctx);
      const deadline = BigInt(await time.latest()) + 10n;
      const args = await rotationArgs(nodeId, ctx.operator.address, nodeIdentity(), deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(as(registry, ctx.operator).rotateNodeKey(...args))
        .to.be.revertedWithCustomError(registry, "NodeRegistrySignatureExpired")
        .withArgs(deadline, deadline + 1n);
    });

    it("works while exiting (a leaked key), not after withdrawal", async () => {
      const { nodeId } = await registerNode(ctx);
      await as(registry, ctx.operator).deregister(nodeId);
      const fresh = nodeIdentity();
      await expect(as(registry, ctx.operator).rotateNodeKey(...(await rotationArgs(nodeId, ctx.operator.address, fresh)))).to.emit(registry, "NodeKeyRotated");
      expect(await registry.isActive(fresh.address)).to.equal(false); // exiting
      await time.increase(UNBONDING);
      await as(registry, ctx.operator).withdraw(nodeId);
      await expect(as(registry, ctx.operator).rotateNodeKey(...(await rotationArgs(nodeId, ctx.operator.address, nodeIdentity()))))
        .to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus")
        .withArgs(nodeId, Status.Withdrawn, Status.Registered);
    });
  });

  describe("updates", () => {
    it("updates multiaddrs (operator only, key must match, registered only)", async () => {
      const { nodeId, node } = await registerNode(ctx);
      const addrs = ["/ip4/192.0.2.1/tcp/4001"];
      const tx = await as(registry, ctx.operator).updateMultiaddrs(nodeId, node.publicKey, addrs);
      await expect(tx).to.emit(registry, "NodeMetadataUpdated").withArgs(nodeId, metadataHash(node.publicKey, addrs), node.publicKey, addrs);
      expect((await registry.getNode(nodeId)).metadataHash).to.equal(metadataHash(node.publicKey, addrs));
      expect(await registry.metadataBlockOf(nodeId)).to.equal(BigInt((await tx.getBlock())!.number));
      await expect(as(registry, ctx.other).updateMultiaddrs(nodeId, node.publicKey, addrs))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator")
        .withArgs(nodeId, ctx.other.address);
      const wrong = nodeIdentity();
      await expect(as(registry, ctx.operator).updateMultiaddrs(nodeId, wrong.publicKey, addrs))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPublicKeyMismatch")
        .withArgs(node.address, wrong.address);
      await expect(as(registry, ctx.operator).updateMultiaddrs(nodeId, node.publicKey, []))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBadMultiaddrCount")
        .withArgs(0n, 8n);
      await as(registry, ctx.operator).deregister(nodeId);
      await expect(as(registry, ctx.operator).updateMultiaddrs(nodeId, node.publicKey, addrs))
        .to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus")
        .withArgs(nodeId, Status.Exiting, Status.Registered);
    });

    it("updates price and region (operator only, bounded price, registered only)", async () => {
      const { nodeId } = await registerNode(ctx);
      await expect(as(registry, ctx.operator).updateOffer(nodeId, 777n, 42))
        .to.emit(registry, "NodeOfferUpdated")
        .withArgs(nodeId, 777n, 42n);
      const rec = await registry.getNode(nodeId);
      expect(rec.pricePerGiB).to.equal(777n);
      expect(rec.region).to.equal(42n);
      await expect(as(registry, ctx.operator2).updateOffer(nodeId, 1n, 1))
        .to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator")
        .withArgs(nodeId, ctx.operator2.address);
      await expect(as(registry, ctx.operator).updateOffer(nodeId, 2n ** 96n, 1))
        .to.be.revertedWithCustomError(registry, "NodeRegistryPriceTooHigh")
        .withArgs(2n ** 96n, 2n ** 96n - 1n);
      await as(registry, ctx.operator).deregister(nodeId);
      await expect(as(registry, ctx.operator).updateOffer(nodeId, 1n, 1)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus");
    });
  });

  describe("capacity", () => {
    it("raising needs the current curve's bond; a top-up then the raise works and restarts the anchor", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 100 });
      const bond = (await registry.getNode(nodeId)).bond;
      const required = await registry.requiredBond(1_000n);
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 1_000)).to.be.revertedWithCustomError(registry, "NodeRegistryBondTooLow").withArgs(bond, required);
      await approve(ctx.operator, required - bond);
      await as(registry, ctx.operator).topUp(nodeId, required - bond);
      const tx = await as(registry, ctx.operator).setCapacity(nodeId, 1_000);
      const ts = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx).to.emit(registry, "NodeCapacityChanged").withArgs(nodeId, 100n, 1_000n, ts);
      expect(await registry.bondAnchorOf(nodeId)).to.equal(ts);
      expect((await registry.getNode(nodeId)).capacityMbps).to.equal(1_000n);
      expect(await registry.isActiveNode(nodeId)).to.equal(true);
    });

    it("lowering frees the excess above the current curve into unbonding and keeps the anchor", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 1_000 });
      const anchor = await registry.bondAnchorOf(nodeId);
      const bond = (await registry.getNode(nodeId)).bond;
      const required = await registry.requiredBond(10n);
      const tx = await as(registry, ctx.operator).setCapacity(nodeId, 10);
      const ends = BigInt((await tx.getBlock())!.timestamp) + UNBONDING;
      await expect(tx)
        .to.emit(registry, "BondUnbonding")
        .withArgs(nodeId, bond - required, bond - required, ends);
      await expect(tx).to.emit(registry, "NodeCapacityChanged").withArgs(nodeId, 1_000n, 10n, anchor);
      const rec = await registry.getNode(nodeId);
      expect(rec.bond).to.equal(required);
      expect(rec.unbonding).to.equal(bond - required);
      expect(rec.unbondingEndsAt).to.equal(ends);
      expect(await registry.bondAnchorOf(nodeId)).to.equal(anchor);
      expect(await registry.isActiveNode(nodeId)).to.equal(true);
    });

    it("lowering with no excess moves nothing", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 10 }); // bond = minBond, also required at 5
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 5)).to.not.emit(registry, "BondUnbonding");
      expect((await registry.getNode(nodeId)).unbonding).to.equal(0n);
    });

    it("rejects out-of-bounds or unchanged capacity, non-operators and exiting nodes", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 10 });
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 0)).to.be.revertedWithCustomError(registry, "NodeRegistryCapacityOutOfBounds").withArgs(0n, 1n, 1_000_000n);
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 1_000_001)).to.be.revertedWithCustomError(registry, "NodeRegistryCapacityOutOfBounds");
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 10)).to.be.revertedWithCustomError(registry, "NodeRegistryCapacityUnchanged").withArgs(nodeId, 10n);
      await expect(as(registry, ctx.other).setCapacity(nodeId, 5)).to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator");
      await as(registry, ctx.operator).deregister(nodeId);
      await expect(as(registry, ctx.operator).setCapacity(nodeId, 5)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus");
    });
  });

  describe("bond: top-up, unbond, deregister, withdraw", () => {
    it("anyone may top up a registered node; zero and unknown/exiting nodes are refused", async () => {
      const { nodeId } = await registerNode(ctx);
      const bond = (await registry.getNode(nodeId)).bond;
      await approve(ctx.other, 5n * USDC);
      await expect(as(registry, ctx.other).topUp(nodeId, 5n * USDC))
        .to.emit(registry, "BondToppedUp")
        .withArgs(nodeId, ctx.other.address, 5n * USDC, bond + 5n * USDC);
      expect((await registry.getNode(nodeId)).bond).to.equal(bond + 5n * USDC);
      await expect(as(registry, ctx.other).topUp(nodeId, 0n)).to.be.revertedWithCustomError(registry, "NodeRegistryZeroAmount");
      await expect(as(registry, ctx.other).topUp(99n, 1n)).to.be.revertedWithCustomError(registry, "NodeRegistryUnknownNode").withArgs(99n);
      await as(registry, ctx.operator).deregister(nodeId);
      await expect(as(registry, ctx.other).topUp(nodeId, 1n)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus").withArgs(nodeId, Status.Exiting, Status.Registered);
    });

    it("tops up with a permit, even when the permit was front-run", async () => {
      const { nodeId } = await registerNode(ctx);
      const bond = (await registry.getNode(nodeId)).bond;
      const permit = await signPermit(ctx, ctx.operator, registryAddress, 7n * USDC);
      await as(ctx.usdc, ctx.other).permit(ctx.operator.address, registryAddress, permit.value, permit.deadline, permit.v, permit.r, permit.s);
      await expect(as(registry, ctx.operator).topUpWithPermit(nodeId, 7n * USDC, permit))
        .to.emit(registry, "BondToppedUp")
        .withArgs(nodeId, ctx.operator.address, 7n * USDC, bond + 7n * USDC);
      const permit2 = await signPermit(ctx, ctx.operator, registryAddress, 3n * USDC);
      await as(registry, ctx.operator).topUpWithPermit(nodeId, 3n * USDC, permit2);
      expect((await registry.getNode(nodeId)).bond).to.equal(bond + 10n * USDC);
    });

    it("unbonds only the excess above the current curve", async () => {
      const required = await registry.requiredBond(100n);
      const { nodeId } = await registerNode(ctx, { bond: required + 50n * USDC });
      await expect(as(registry, ctx.operator).unbond(nodeId, 50n * USDC + 1n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBondTooLow")
        .withArgs(required - 1n, required);
      await expect(as(registry, ctx.operator).unbond(nodeId, 10n ** 30n))
        .to.be.revertedWithCustomError(registry, "NodeRegistryBondTooLow")
        .withArgs(0n, required);
      await expect(as(registry, ctx.operator).unbond(nodeId, 0n)).to.be.revertedWithCustomError(registry, "NodeRegistryZeroAmount");
      await expect(as(registry, ctx.other).unbond(nodeId, 1n)).to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator");
      await as(registry, ctx.operator).unbond(nodeId, 20n * USDC);
      const tx = await as(registry, ctx.operator).unbond(nodeId, 30n * USDC);
      const ends = BigInt((await tx.getBlock())!.timestamp) + UNBONDING;
      // a second unbond restarts the clock for everything pending
      await expect(tx)
        .to.emit(registry, "BondUnbonding")
        .withArgs(nodeId, 30n * USDC, 50n * USDC, ends);
      const rec = await registry.getNode(nodeId);
      expect(rec.bond).to.equal(required);
      expect(rec.unbonding).to.equal(50n * USDC);
      expect(rec.unbondingEndsAt).to.equal(ends);
      expect(await registry.isActiveNode(nodeId)).to.equal(true);
    });

    it("withdraws a partial unbonding exactly at its end, never a second earlier; the node stays active", async () => {
      const required = await registry.requiredBond(100n);
      const { nodeId } = await registerNode(ctx, { bond: required + 50n * USDC });
      const tx = await as(registry, ctx.operator).unbond(nodeId, 50n * USDC);
      const ends = BigInt((await tx.getBlock())!.timestamp) + UNBONDING;
      await time.setNextBlockTimestamp(ends - 1n);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryStillUnbonding").withArgs(nodeId, ends);
      const before = await ctx.usdc.balanceOf(ctx.operator.address);
      await time.setNextBlockTimestamp(ends);
      await expect(as(registry, ctx.operator).withdraw(nodeId))
        .to.emit(registry, "BondWithdrawn")
        .withArgs(nodeId, ctx.operator.address, 50n * USDC);
      expect(await ctx.usdc.balanceOf(ctx.operator.address)).to.equal(before + 50n * USDC);
      const rec = await registry.getNode(nodeId);
      expect(rec.status).to.equal(Status.Registered);
      expect(rec.unbonding).to.equal(0n);
      expect(rec.unbondingEndsAt).to.equal(0n);
      expect(await registry.isActiveNode(nodeId)).to.equal(true);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryNothingToWithdraw").withArgs(nodeId);
    });

    it("deregisters at once: inactive, whole bond unbonding, withdrawable exactly at the end, record kept", async () => {
      const { nodeId, node } = await registerNode(ctx, { capacityMbps: 1_000 });
      const bond = (await registry.getNode(nodeId)).bond;
      await expect(as(registry, ctx.other).deregister(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator");
      const tx = await as(registry, ctx.operator).deregister(nodeId);
      const ends = BigInt((await tx.getBlock())!.timestamp) + UNBONDING;
      await expect(tx).to.emit(registry, "NodeDeregistered").withArgs(nodeId, ends);
      expect(await registry.isActive(node.address)).to.equal(false);
      let rec = await registry.getNode(nodeId);
      expect(rec.status).to.equal(Status.Exiting);
      expect(rec.bond).to.equal(0n);
      expect(rec.unbonding).to.equal(bond);
      expect(rec.unbondingEndsAt).to.equal(ends);
      await expect(as(registry, ctx.operator).deregister(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus").withArgs(nodeId, Status.Exiting, Status.Registered);
      await expect(as(registry, ctx.operator).unbond(nodeId, 1n)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus");

      await time.setNextBlockTimestamp(ends - 1n);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryStillUnbonding").withArgs(nodeId, ends);
      await time.setNextBlockTimestamp(ends);
      await expect(as(registry, ctx.other).withdraw(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryNotOperator");
      const before = await ctx.usdc.balanceOf(ctx.operator.address);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.emit(registry, "BondWithdrawn").withArgs(nodeId, ctx.operator.address, bond);
      expect(await ctx.usdc.balanceOf(ctx.operator.address)).to.equal(before + bond);
      rec = await registry.getNode(nodeId);
      expect(rec.status).to.equal(Status.Withdrawn);
      expect(rec.unbonding).to.equal(0n);
      expect(rec.nodeKey).to.equal(node.address); // never deleted
      expect(rec.operator).to.equal(ctx.operator.address);
      expect(await registry.nodeIdOf(node.address)).to.equal(nodeId);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus").withArgs(nodeId, Status.Withdrawn, Status.Exiting);
      expect(await ctx.usdc.balanceOf(registryAddress)).to.equal(0n);
    });

    it("pays the operator even when another address registered nothing (payouts go to the operator)", async () => {
      const { nodeId } = await registerNode(ctx, { operator: ctx.operator2 });
      await as(registry, ctx.operator2).deregister(nodeId);
      await time.increase(UNBONDING);
      const bond = (await registry.getNode(nodeId)).unbonding;
      const before = await ctx.usdc.balanceOf(ctx.operator2.address);
      await as(registry, ctx.operator2).withdraw(nodeId);
      expect(await ctx.usdc.balanceOf(ctx.operator2.address)).to.equal(before + bond);
    });
  });

  describe("slashing hook", () => {
    it("only the slasher; takes bps of active and unbonding bond and pays the caller", async () => {
      const required = await registry.requiredBond(100n);
      const { nodeId, node } = await registerNode(ctx, { bond: required + 100n * USDC });
      await as(registry, ctx.operator).unbond(nodeId, 100n * USDC);
      await expect(as(registry, ctx.operator).slash(nodeId, 1_000n)).to.be.revertedWithCustomError(registry, "NodeRegistryNotSlasher").withArgs(ctx.operator.address);
      await expect(as(registry, ctx.slasher).slash(nodeId, 10_001n)).to.be.revertedWithCustomError(registry, "NodeRegistryBadSlashBps").withArgs(10_001n);
      await expect(as(registry, ctx.slasher).slash(99n, 1n)).to.be.revertedWithCustomError(registry, "NodeRegistryUnknownNode").withArgs(99n);
      const expected = (required * 1_000n) / 10_000n + 10n * USDC;
      const amount = await as(registry, ctx.slasher).slash.staticCall(nodeId, 1_000n);
      expect(amount).to.equal(expected);
      await expect(as(registry, ctx.slasher).slash(nodeId, 1_000n)).to.emit(registry, "NodeSlashed").withArgs(nodeId, ctx.slasher.address, 1_000n, expected);
      expect(await ctx.usdc.balanceOf(ctx.slasher.address)).to.equal(expected);
      const rec = await registry.getNode(nodeId);
      expect(rec.bond).to.equal(required - (required * 1_000n) / 10_000n);
      expect(rec.unbonding).to.equal(90n * USDC);
      // below the curve: inactive until topped up
      expect(await registry.isActive(node.address)).to.equal(false);
      await approve(ctx.operator, required - rec.bond);
      await as(registry, ctx.operator).topUp(nodeId, required - rec.bond);
      expect(await registry.isActive(node.address)).to.equal(true);
    });

    it("stays slashable while unbonding after exit; nothing left after withdrawal", async () => {
      const { nodeId } = await registerNode(ctx);
      const bond = (await registry.getNode(nodeId)).bond;
      await as(registry, ctx.operator).deregister(nodeId);
      await time.increase(UNBONDING - 10n);
      await as(registry, ctx.slasher).slash(nodeId, 5_000n);
      expect((await registry.getNode(nodeId)).unbonding).to.equal(bond - bond / 2n);
      await time.increase(10n);
      await expect(as(registry, ctx.operator).withdraw(nodeId))
        .to.emit(registry, "BondWithdrawn")
        .withArgs(nodeId, ctx.operator.address, bond - bond / 2n);
      expect(await as(registry, ctx.slasher).slash.staticCall(nodeId, 10_000n)).to.equal(0n);
    });

    it("a full slash of an exiting node still lets it finish as Withdrawn", async () => {
      const { nodeId } = await registerNode(ctx);
      await as(registry, ctx.operator).deregister(nodeId);
      await as(registry, ctx.slasher).slash(nodeId, 10_000n);
      await time.increase(UNBONDING);
      await expect(as(registry, ctx.operator).withdraw(nodeId)).to.emit(registry, "BondWithdrawn").withArgs(nodeId, ctx.operator.address, 0n);
      expect((await registry.getNode(nodeId)).status).to.equal(Status.Withdrawn);
    });
  });

  describe("isActive under a curve change (grace period)", () => {
    it("a raised curve makes a node inactive only from the end of the grace period; a top-up restores it", async () => {
      const { nodeId, node } = await registerNode(ctx, { capacityMbps: 1_000 });
      const oldRequired = await registry.requiredBond(1_000n);
      const tx = await as(ctx.params, ctx.timelock).setBondCurve((14n * USDC) / 10n, ALPHA_DEFAULT, MIN_BOND_DEFAULT);
      const changedAt = BigInt((await tx.getBlock())!.timestamp);
      const bindsAt = changedAt + GRACE;
      const newRequired = await registry.requiredBond(1_000n);
      expect(newRequired > oldRequired).to.equal(true);
      expect(await registry.requiredBondOf(nodeId)).to.equal(oldRequired);
      expect(await registry.isActive(node.address)).to.equal(true);
      await expectGraceEndsAt(node.address, bindsAt);
      expect(await registry.requiredBondOf(nodeId)).to.equal(newRequired);
      const bond = (await registry.getNode(nodeId)).bond;
      await approve(ctx.operator, newRequired - bond);
      await as(registry, ctx.operator).topUp(nodeId, newRequired - bond - 1n);
      expect(await registry.isActive(node.address)).to.equal(false);
      await as(registry, ctx.operator).topUp(nodeId, 1n);
      expect(await registry.isActive(node.address)).to.equal(true);
    });

    it("nodes registered or raising capacity after the change are bound by the new curve at once", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 100, bond: 10_000n * USDC });
      await as(ctx.params, ctx.timelock).setBondCurve((14n * USDC) / 10n, ALPHA_DEFAULT, MIN_BOND_DEFAULT);
      const newRequired = await registry.requiredBond(1_000n);
      // a registration with the old curve's bond is refused
      const oldRequired = (newRequired * 10n) / 14n;
      const { reg, signature } = await prepareRegistration(ctx, { capacityMbps: 1_000, bond: oldRequired });
      await approve(ctx.operator, reg.bond);
      await expect(as(registry, ctx.operator).register(reg, signature)).to.be.revertedWithCustomError(registry, "NodeRegistryBondTooLow");
      // a raise restarts the anchor: the new curve binds this node now
      await as(registry, ctx.operator).setCapacity(nodeId, 1_000);
      expect(await registry.requiredBondOf(nodeId)).to.equal(newRequired);
    });

    it("a lowered curve applies at once and lowering capacity keeps the old anchor", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 1_000 });
      const anchor = await registry.bondAnchorOf(nodeId);
      await as(ctx.params, ctx.timelock).setBondCurve(K_DEFAULT / 2n + 1n, ALPHA_DEFAULT, MIN_BOND_DEFAULT);
      expect(await registry.requiredBondOf(nodeId)).to.equal(await registry.requiredBond(1_000n));
      await as(registry, ctx.operator).setCapacity(nodeId, 900);
      expect(await registry.bondAnchorOf(nodeId)).to.equal(anchor);
    });
  });

  describe("same-block registration and the cached requirement", () => {
    it("same-block registration: a node registered in the block of a curve raise (before it) keeps the grace period", async () => {
      const { reg, signature } = await prepareRegistration(ctx, { capacityMbps: 1_000 });
      await approve(ctx.operator, reg.bond);
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const registered = await as(registry, ctx.operator).register(reg, signature);
        const raised = await as(ctx.params, ctx.timelock).setBondCurve((14n * USDC) / 10n, ALPHA_DEFAULT, MIN_BOND_DEFAULT);
        await ethers.provider.send("evm_mine", []);
        const [r1, r2] = [await registered.wait(), await raised.wait()];
        expect(r1!.blockNumber).to.equal(r2!.blockNumber);
        expect(r1!.index < r2!.index, "the registration comes first in the block").to.equal(true);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      const nodeId = await registry.nodeIdOf(reg.nodeKey);
      const [, changedAt, bindsAt] = await ctx.params.previousBondCurve();
      expect(await registry.bondAnchorOf(nodeId)).to.equal(changedAt);
      // Registered under the old curve: active through the grace period like every earlier node.
      expect(await registry.isActive(reg.nodeKey)).to.equal(true);
      await expectGraceEndsAt(reg.nodeKey, bindsAt);
    });

    it("isActive from the cache agrees with the curve through curve changes, grace periods, refreshes and slashes", async () => {
      const op = fc.oneof(
        fc.record({
          kind: fc.constant("register" as const),
          mbps: fc.integer({ min: 1, max: 3_000 }),
          extra: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 800n * USDC })),
        }),
        fc.record({ kind: fc.constant("topUp" as const), node: fc.nat(), amount: fc.bigInt({ min: 1n, max: 800n * USDC }) }),
        fc.record({ kind: fc.constant("capacity" as const), node: fc.nat(), mbps: fc.integer({ min: 1, max: 3_000 }) }),
        fc.record({ kind: fc.constant("slash" as const), node: fc.nat(), bps: fc.integer({ min: 0, max: 3_000 }) }),
        fc.record({ kind: fc.constant("refresh" as const), node: fc.nat() }),
        fc.record({
          kind: fc.constant("curve" as const),
          kPct: fc.oneof(fc.integer({ min: 110, max: 145 }), fc.integer({ min: 60, max: 145 })),
          alphaSteps: fc.integer({ min: -3, max: 0 }),
          minPct: fc.integer({ min: 60, max: 145 }),
        }),
        fc.record({ kind: fc.constant("time" as const), seconds: fc.oneof(fc.constant(14 * 86_400), fc.integer({ min: 1, max: 16 * 86_400 })) }),
      );
      await registrySequences(
        op,
        { minLength: 3, numRuns: 25, refusal: /reverted with custom error '(NodeRegistry|ProtocolParams)/ },
        async (c, o, id) => {
          if (o.kind === "curve") {
            const [k, alpha, minBond] = await c.params.bondCurve();
            const nextAlpha = alpha + BigInt(o.alphaSteps) * 10n ** 16n;
            await as(c.params, c.timelock).setBondCurve((k * BigInt(o.kPct)) / 100n, nextAlpha, (minBond * BigInt(o.minPct)) / 100n);
          } else if (id !== undefined) await as(c.registry, c.other).refreshRequiredBond(id);
        },
        async (c, ids, o) => {
          for (const id of ids) {
            const n = await c.registry.getNode(id);
            const want = n.status === Status.Registered && n.bond >= (await c.params.requiredBondFor(n.capacityMbps, await c.registry.bondAnchorOf(id)));
            expect(await c.registry.isActiveNode(id), `node ${id} after ${o.kind}`).to.equal(want);
            expect(await c.registry.isActive(n.nodeKey)).to.equal(want);
          }
        },
      );
    });

    it("a node whose requirement is refreshed inside the grace period keeps the grace", async () => {
      const { nodeId, node } = await registerNode(ctx, { capacityMbps: 1_000 });
      await as(ctx.params, ctx.timelock).setBondCurve((14n * USDC) / 10n, ALPHA_DEFAULT, MIN_BOND_DEFAULT);
      await as(registry, ctx.other).refreshRequiredBond(nodeId);
      expect(await registry.isActive(node.address)).to.equal(true);
      const [, , bindsAt] = await ctx.params.bondCurveVersion();
      await time.increaseTo(bindsAt);
      expect(await registry.isActive(node.address)).to.equal(false);
    });

    it("refreshRequiredBond is open to anyone, for registered nodes only", async () => {
      const { nodeId } = await registerNode(ctx, { capacityMbps: 500 });
      await as(registry, ctx.other).refreshRequiredBond(nodeId);
      await expect(as(registry, ctx.other).refreshRequiredBond(99n)).to.be.revertedWithCustomError(registry, "NodeRegistryUnknownNode");
      await as(registry, ctx.operator).deregister(nodeId);
      await expect(as(registry, ctx.other).refreshRequiredBond(nodeId)).to.be.revertedWithCustomError(registry, "NodeRegistryWrongStatus");
    });
  });

  describe("active-set enumeration", () => {
    it("pages through active nodes only, with a continuation id", async () => {
      const nodes = [];
      for (let i = 0; i < 5; i++) nodes.push(await registerNode(ctx, { capacityMbps: 10 + i }));
      await as(registry, ctx.operator).deregister(nodes[1].nodeId); // exiting
      await as(registry, ctx.slasher).slash(nodes[3].nodeId, 100n); // below the curve
      let [ids, recs, next] = await registry.activeNodes(0n, 2n);
      expect(ids).to.deep.equal([1n]);
      expect(recs[0].nodeKey).to.equal(nodes[0].node.address);
      expect(next).to.equal(3n);
      [ids, recs, next] = await registry.activeNodes(next, 2n);
      expect(ids).to.deep.equal([3n]);
      expect(next).to.equal(5n);
      [ids, recs, next] = await registry.activeNodes(next, 2n);
      expect(ids).to.deep.equal([5n]);
      expect(recs[0].capacityMbps).to.equal(14n);
      expect(next).to.equal(0n);
      [ids, , next] = await registry.activeNodes(1n, 100n);
      expect(ids).to.deep.equal([1n, 3n, 5n]);
      expect(next).to.equal(0n);
      [ids, , next] = await registry.activeNodes(6n, 10n);
      expect(ids).to.deep.equal([]);
      expect(next).to.equal(0n);
      [ids, , next] = await registry.activeNodes(2n, 0n);
      expect(ids).to.deep.equal([]);
      expect(next).to.equal(2n);
    });
  });

  describe("client bootstrap from chain data", () => {
    it("active set from the paged view, dial data from one bounded getLogs per node, checked against the record hash", async () => {
      const a = await registerNode(ctx);
      const b = await registerNode(ctx, { operator: ctx.operator2 });
      const c = await registerNode(ctx);
      const fresh = nodeIdentity();
      await as(registry, ctx.operator2).rotateNodeKey(...(await rotationArgs(b.nodeId, ctx.operator2.address, fresh)));
      const newAddrs = ["/ip4/198.51.100.7/tcp/4001"];
      await as(registry, ctx.operator).updateMultiaddrs(a.nodeId, a.node.publicKey, newAddrs);
      await as(registry, ctx.operator).deregister(c.nodeId);

      const found: Record<string, { publicKey: string; multiaddrs: string[] }> = {};
      let next = 1n;
      do {
        const [ids, recs, n] = await registry.activeNodes(next, 2n);
        for (let i = 0; i < ids.length; i++) {
          const block = Number(await registry.metadataBlockOf(ids[i]));
          const logs = await ethers.provider.getLogs({ address: registryAddress, fromBlock: block, toBlock: block });
          const events = logs.map((l) => registry.interface.parseLog(l)).filter((e) => e && ["NodeRegistered", "NodeKeyRotated", "NodeMetadataUpdated"].includes(e.name) && e.args.nodeId === ids[i]);
          const last = events[events.length - 1]!;
          const publicKey = last.args.publicKey as string;
          const multiaddrs = [...(last.args.multiaddrs as string[])];
          expect(metadataHash(publicKey, multiaddrs)).to.equal(recs[i].metadataHash);
          expect(computeAddress("0x04" + publicKey.slice(2))).to.equal(recs[i].nodeKey);
          found[recs[i].nodeKey] = { publicKey, multiaddrs };
        }
        next = n;
      } while (next !== 0n);
      expect(Object.keys(found).sort()).to.deep.equal([a.node.address, fresh.address].sort());
      expect(found[a.node.address].multiaddrs).to.deep.equal(newAddrs);
      expect(found[fresh.address].publicKey).to.equal(fresh.publicKey);
    });
  });

  describe("property: USDC held equals the sum of bonds", () => {
    it("through any sequence of register / top-up / capacity / unbond / deregister / withdraw / slash / time", async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant("register" as const), mbps: fc.integer({ min: 1, max: 5_000 }), extra: fc.bigInt({ min: 0n, max: 500n * USDC }) }),
        fc.record({ kind: fc.constant("topUp" as const), node: fc.nat(), amount: fc.bigInt({ min: 1n, max: 1_000n * USDC }) }),
        fc.record({ kind: fc.constant("capacity" as const), node: fc.nat(), mbps: fc.integer({ min: 1, max: 5_000 }) }),
        fc.record({ kind: fc.constant("unbond" as const), node: fc.nat(), amount: fc.bigInt({ min: 1n, max: 600n * USDC }) }),
        fc.record({ kind: fc.constant("deregister" as const), node: fc.nat() }),
        fc.record({ kind: fc.constant("withdraw" as const), node: fc.nat() }),
        fc.record({ kind: fc.constant("slash" as const), node: fc.nat(), bps: fc.integer({ min: 0, max: 10_000 }) }),
        fc.record({ kind: fc.constant("time" as const), seconds: fc.integer({ min: 1, max: 20 * 86_400 }) }),
      );
      await registrySequences(
        op,
        { minLength: 1, numRuns: 12, refusal: /reverted with custom error 'NodeRegistry/ },
        async (c, o, id) => {
          if (id === undefined) return;
          const r = as(c.registry, c.operator);
          if (o.kind === "unbond") await r.unbond(id, o.amount);
          else if (o.kind === "deregister") await r.deregister(id);
          else if (o.kind === "withdraw") await r.withdraw(id);
        },
        async (c) => {
          let sum = 0n;
          const count = await c.registry.nodeCount();
          for (let id = 1n; id <= count; id++) {
            const n = await c.registry.getNode(id);
            sum += n.bond + n.unbonding;
          }
          expect(await c.usdc.balanceOf(await c.registry.getAddress())).to.equal(sum);
        },
      );
    });
  });

  describe("gas snapshot", () => {
    it("records register (permit), update, rotate key, deregister, withdraw, blacklist add", async () => {
      const gas = new GasRecorder("registry");
      await registerNode(ctx); // the registry already holds bonds, as in production
      const { nodeId, node, tx } = await registerNode(ctx, { operator: ctx.operator2, permit: true, capacityMbps: 1_000 });
      const registerGas = await gas.record("register with bond via permit", tx);
      expect(registerGas <= 300_000n, `register with permit used ${registerGas} gas`).to.equal(true);
      const approveAndRegister = await registerNode(ctx, { operator: ctx.operator2 });
      await gas.record("register with bond (after approve)", approveAndRegister.tx);
      await gas.record("update offer", await as(registry, ctx.operator2).updateOffer(nodeId, 20_000n, 3));
      await gas.record("update multiaddrs", await as(registry, ctx.operator2).updateMultiaddrs(nodeId, node.publicKey, defaultMultiaddrs(node)));
      await approve(ctx.operator2, 10n * USDC);
      await gas.record("top up", await as(registry, ctx.operator2).topUp(nodeId, 10n * USDC));
      await gas.record("rotate key", await as(registry, ctx.operator2).rotateNodeKey(...(await rotationArgs(nodeId, ctx.operator2.address, nodeIdentity()))));
      await gas.record("deregister", await as(registry, ctx.operator2).deregister(nodeId));
      await time.increase(UNBONDING);
      await gas.record("withdraw", await as(registry, ctx.operator2).withdraw(nodeId));
      await gas.record("blacklist add", await as(ctx.blacklist, ctx.timelock).add(keccak256(toUtf8Bytes("blob"))));
      const view = await registry.isActive.estimateGas(approveAndRegister.node.address);
      gas.set("isActive (estimate, incl. 21k)", view);
      // After a curve change isActive computes the curve until the requirement is refreshed.
      await as(ctx.params, ctx.timelock).setBondCurve(USDC, 99n * 10n ** 16n, MIN_BOND_DEFAULT);
      await time.increase(GRACE);
      gas.set("isActive after a curve change (estimate, incl. 21k)", await registry.isActive.estimateGas(approveAndRegister.node.address));
      await gas.record("refresh required bond", await as(registry, ctx.other).refreshRequiredBond(approveAndRegister.nodeId));
      gas.set("isActive after the refresh (estimate, incl. 21k)", await registry.isActive.estimateGas(approveAndRegister.node.address));
      gas.check();
    });
  });
});

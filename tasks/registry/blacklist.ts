import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runTask, UserError } from "../lib/errors.js";
import { parseBlobId, signerFor, taskContext } from "../lib/context.js";

const time = (t: bigint) => new Date(Number(t) * 1000).toISOString();

export async function check(args: { blob: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const blobId = parseBlobId(args.blob);
    const ctx = await taskContext(hre);
    const entry = await ctx.blacklist.entryOf(blobId);
    const now = BigInt((await ctx.ethers.provider.getBlock("latest"))!.timestamp);
    if (entry.entryId === 0n) console.log("not blacklisted (never listed)");
    else if (!entry.listed) console.log(`not blacklisted (entry ${entry.entryId} was removed)`);
    else {
      const binding = now >= entry.effectiveAt ? "binding now" : `binding from ${time(entry.effectiveAt)}`;
      console.log(`BLACKLISTED: entry ${entry.entryId}, added ${time(entry.addedAt)}, ${binding}`);
    }
    return { entryId: entry.entryId, listed: entry.listed, addedAt: entry.addedAt, effectiveAt: entry.effectiveAt };
  });
}

async function write(kind: "add" | "remove", args: { blob: string; from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const blobId = parseBlobId(args.blob);
    const ctx = await taskContext(hre);
    const signer = await signerFor(ctx, args.from);
    const account = await signer.getAddress();
    if (!(await ctx.blacklist.hasComplianceRole(account))) {
      throw new UserError(`${account} does not hold the compliance role; the DAO grants it (gov:propose --action compliance-grant) or proposes the entry itself (--action blacklist-${kind}).`);
    }
    const listed = await ctx.blacklist.isBlacklisted(blobId);
    if (kind === "add" && listed) throw new UserError("That blob is already blacklisted.");
    if (kind === "remove" && !listed) throw new UserError("That blob is not blacklisted.");
    const key = await ctx.blacklist.blobKeyOf(blobId);
    const contract = ctx.blacklist.connect(signer);
    await (await (kind === "add" ? contract.add(key) : contract.remove(key))).wait();
    const entry = await ctx.blacklist.entryOf(blobId);
    if (kind === "add") console.log(`Blacklisted as entry ${entry.entryId} (key ${key}); binding from ${time(entry.effectiveAt)}.`);
    else console.log(`Removed entry ${entry.entryId} (key ${key}).`);
  });
}

export const add = (args: { blob: string; from: string }, hre: HardhatRuntimeEnvironment) => write("add", args, hre);
export const remove = (args: { blob: string; from: string }, hre: HardhatRuntimeEnvironment) => write("remove", args, hre);

import { statSync } from "node:fs";
import type { Command } from "commander";
import { action, bytesText } from "../../../runtime/cli.js";
import { loadKeyFile } from "../../../runtime/keys.js";
import { NodeAgent } from "../../agent.js";
import { nodeContext, globals } from "../context.js";

export function publishCommand(program: Command): void {
  program
    .command("publish")
    .description("origins only: import files into the private backend, sign their content records, print their blob ids")
    .argument("<file...>", "files to publish")
    .addHelpText("after", "\nExample:\n  cdn-node publish ./video.mp4 ./poster.jpg\n")
    .action(
      action("cdn-node", async function (this: Command, files: string[]) {
        // every argument is checked before anything is published
        for (const file of files) {
          let isFile = false;
          try {
            isFile = statSync(file).isFile();
          } catch {
            throw new Error(`Cannot read ${file}.`);
          }
          if (!isFile) throw new Error(`${file} is not a regular file; publish files one by one.`);
        }
        const ctx = await nodeContext(globals(this));
        try {
          const agent = new NodeAgent({ listen: [], backendDir: ctx.config.backendDir }, { identity: ctx.identity, contracts: ctx.contracts, store: ctx.store, logger: ctx.logger });
          const contentSecretKey = ctx.config.contentKeyFile ? loadKeyFile(ctx.config.contentKeyFile).secretKey : undefined;
          const published = await agent.publish(files, { contentSecretKey });
          published.forEach((blob, i) => console.log(`${blob.blobId}  ${bytesText(blob.size)}  ${files[i]}`));
          await agent.backend.close();
        } finally {
          ctx.close();
        }
      }),
    );
}

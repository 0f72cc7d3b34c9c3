/** Stopping a child process, the one way the devnet, its chain node and the tests do it. */
import type { ChildProcess } from "node:child_process";

/** SIGTERM, then SIGKILL if the process has not exited 5 s later; resolves once it has exited (at once if it already had). */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** What a bench reads about its child processes from Linux's /proc. */
import { readdirSync, readFileSync } from "node:fs";

/** Resident set size of a process, in MiB. */
export const rssMiB = (pid: number | undefined): number | undefined => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** CPU time (user + system) in seconds from a /proc stat file (clock ticks of 1/100 s). */
const statCpuSeconds = (file: string): number | undefined => {
  try {
    // the fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
};

/** CPU time a process has used so far (all its threads), in seconds. */
export const cpuSeconds = (pid: number | undefined): number | undefined => statCpuSeconds(`/proc/${pid}/stat`);

/** CPU time of a process's main thread (for Node.js: the event loop; not V8's GC and compiler threads nor libuv's pool), in seconds. */
export const mainThreadCpuSeconds = (pid: number | undefined): number | undefined => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);

/**
 * Times a process's main thread went to sleep and was woken again (its voluntary context switches,
 * from /proc/<pid>/task/<pid>/status): for a Node.js process, about one per event-loop wakeup (a
 * timer, a socket, a child's pipe), plus the rare wait on a lock. V8's and libuv's own threads are
 * not counted.
 */
export const mainThreadWakeups = (pid: number | undefined): number | undefined => {
  try {
    const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

/** CPU time of a process and all its descendants still running (listed in each of its threads' /proc children file), in seconds. */
export const treeCpuSeconds = (pid: number | undefined): number | undefined => {
  const own = cpuSeconds(pid);
  if (own === undefined) return undefined;
  let children: number[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number));
  } catch {
    // the process ended meanwhile
  }
  return children.reduce((sum, child) => sum + (treeCpuSeconds(child) ?? 0), own);
};

/** What a bench reads about its child processes from Linux's /proc. */
import { readFileSync } from "node:fs";

/** Resident set size of a process, in MiB. */
export const rssMiB = (pid: number | undefined): number | undefined => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** CPU time a process has used so far (user + system), in seconds (clock ticks of 1/100 s). */
export const cpuSeconds = (pid: number | undefined): number | undefined => {
  try {
    // the fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
};

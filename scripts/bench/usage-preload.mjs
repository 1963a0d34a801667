// Loaded with --import by the benchmark into a Convoy run: writes the process's own CPU time and peak RSS at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.CONVOY_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMb: usage.maxRSS / 1024 }),
    );
  });
}

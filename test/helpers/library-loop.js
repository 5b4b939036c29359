// A long-lived library-API process (the fault suite's 200-container test): N containers through
// create, start, wait and delete with dist/lib.js, then one JSON line: fds, live heap and RSS
// after a warm-up of W cycles and at the end, and the inits left zombie children of this process.
// Run with --expose-gc (a full collection before each measure: what is left is live) and a fixed
// young generation (--max-semi-space-size=1): V8 otherwise grows it under a steady allocation rate
// (heapTotal 16 -> 40 MiB over 600 cycles, and RSS with it), a policy a leak check must not measure.
//   node --expose-gc --max-semi-space-size=1 library-loop.js DIST ROOT BUNDLE ID-PREFIX N W
const fs = require('fs');
const [dist, root, bundle, prefix, n, warm] = process.argv.slice(2);
const lib = require(dist);

const fds = () => fs.readdirSync('/proc/self/fd').length;
const measure = () => { global.gc(); const m = process.memoryUsage(); return { fds: fds(), heap: m.heapUsed, rss: m.rss }; };

(async () => {
  const inits = [];
  let before;
  const t0 = Date.now();
  for (let i = 0; i < Number(n); i++) {
    if (i === Number(warm)) before = measure();
    const id = `${prefix}-${i}`;
    inits.push((await lib.create(id, { root, bundle })).pid);
    await lib.start(id, { root });
    const st = await lib.wait(id, { root });
    if (st.code !== 0) throw new Error(`${id}: exit ${JSON.stringify(st)}`);
    if ((await lib.state(id, { root })).status !== 'stopped') throw new Error(`${id}: not stopped after wait`);
    await lib.deleteContainer(id, { root });
  }
  const after = measure();
  const zombies = inits.filter((p) => {
    try {
      const s = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return f[0] === 'Z' && Number(f[1]) === process.pid;
    } catch { return false; }
  });
  process.stdout.write(`${JSON.stringify({ before, after, zombies, ms: Date.now() - t0 })}\n`);
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });

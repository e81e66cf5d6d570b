// A node process with a big, busy heap for leaksnoop's scan tests: grows
// its heap to MB MiB of live objects (V8's heap and malloc'd Buffers),
// says "ready PID", then keeps allocating and dropping small Buffers on a
// 1 ms timer, printing "gap_ms N" whenever the longest gap between two
// ticks so far grows (the process's own view of being stopped).
// usage: node grow_heap.js [MB]
const mb = parseInt(process.argv[2] || "150");
const keep = [];
let bytes = 0;
while (bytes < mb * 1024 * 1024) {
  keep.push({ buf: Buffer.alloc(4096), s: "x".repeat(100) + bytes, arr: new Array(50).fill(bytes) });
  bytes += 4096 + 600;
}
console.error("ready " + process.pid);
let last = process.hrtime.bigint(), maxgap = 0n, churn = [];
setInterval(() => {
  const now = process.hrtime.bigint();
  if (now - last > maxgap) {
    maxgap = now - last;
    console.error("gap_ms " + Number(maxgap) / 1e6);
  }
  last = now;
  for (let i = 0; i < 200; i++) churn.push(Buffer.alloc(256));
  if (churn.length > 20000) churn = [];
}, 1);

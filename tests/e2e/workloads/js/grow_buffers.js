// Allocates through native code called from JS (issue 19: JIT frames):
// Buffer.allocUnsafeSlow mallocs each buffer's memory outside V8's heap,
// called from grow(), which V8 compiles once it is hot. The buffers stay
// held in an array. Half the rounds, a pause of PAUSE_MS (leaksnoop's
// unwinder learns the code pages V8 mapped meanwhile: it looks every 2 s),
// the other half; then "ready" on stdout, and the process waits to be
// stopped.
// usage: node [--perf-basic-prof] grow_buffers.js [ROUNDS [PER_ROUND [PAUSE_MS]]]
"use strict";

const rounds = Number(process.argv[2] || 100);
const perRound = Number(process.argv[3] || 20);
const pauseMs = Number(process.argv[4] || 3000);
const held = [];

function grow(n) {
  for (let i = 0; i < n; i++)
    held.push(Buffer.allocUnsafeSlow(4000 + (i & 7)));
}

function growRounds(n) {
  for (let r = 0; r < n; r++)
    grow(perRound);
}

growRounds(rounds >> 1);
setTimeout(() => {
  growRounds(rounds - (rounds >> 1));
  console.log("ready " + held.length);
  setInterval(() => {}, 1000);
}, pauseMs);

#!/usr/bin/env node
// Stream handler (mode = "stream") in Node.js: counts events by type and writes the tally to
// $COREGATE_STATE_DIR/tally.json after each one; answers "retry" when the file cannot be written.
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const file = path.join(process.env.COREGATE_STATE_DIR, "tally.json");
const tally = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
const lines = readline.createInterface({ input: process.stdin });

lines.on("line", (line) => {
  const event = JSON.parse(line);
  tally[event.type] = (tally[event.type] || 0) + 1;
  let status = "done";
  let detail = `${tally[event.type]} ${event.type}`;
  try {
    fs.writeFileSync(file + ".tmp", JSON.stringify(tally));
    fs.renameSync(file + ".tmp", file);
  } catch (error) {
    tally[event.type] -= 1;
    [status, detail] = ["retry", String(error)];
  }
  process.stdout.write(JSON.stringify({ id: event.id, status, detail }) + "\n");
});
// readline closes at the end of input; Node exits once stdout is flushed.

#!/usr/bin/env node
// Address book: one small JSON file per customer in $COREGATE_STATE_DIR/contacts/, with the name
// they go by, when they first and last wrote, and what they sent last.
//
// Each file is written whole and renamed into place, and only moves forward in time, so running
// it twice on one event, or on an older one, changes nothing.
const fs = require("fs");
const path = require("path");

const event = JSON.parse(fs.readFileSync(0, "utf8"));
if (event.decode_error) process.exit(0);  // an item coregate could not decode names no customer
const dir = path.join(process.env.COREGATE_STATE_DIR, "contacts");
fs.mkdirSync(dir, { recursive: true });
// A customer known only by a username has no wa_id, only a user id.
const id = event.contact.wa_id ?? event.contact.user_id;
const file = path.join(dir, encodeURIComponent(id) + ".json");

let card = { wa_id: event.contact.wa_id, first_seen: event.occurred_at, last_seen: "" };
try { card = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { if (e.code !== "ENOENT") throw e; }
if (event.occurred_at < card.first_seen) card.first_seen = event.occurred_at;
if (event.occurred_at >= card.last_seen) {
  Object.assign(card, { user_id: event.contact.user_id ?? card.user_id ?? null,
                        name: event.contact.name ?? card.name ?? null, last_seen: event.occurred_at,
                        last_type: event.type, last_event: event.id });
}
fs.writeFileSync(file + ".tmp", JSON.stringify(card, null, 2) + "\n");
fs.renameSync(file + ".tmp", file);
console.log(`${id}: ${card.name ?? "(no name)"}, last seen ${card.last_seen}`);

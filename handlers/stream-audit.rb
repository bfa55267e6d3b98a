#!/usr/bin/env ruby
# Stream handler (mode = "stream") in Ruby: appends one audit line per event (id, type, contact)
# to $COREGATE_STATE_DIR/audit.log, and answers "failed" for an event it cannot audit.
require "json"

$stdout.sync = true # every answer line goes out at once
audit = File.open(File.join(ENV.fetch("COREGATE_STATE_DIR"), "audit.log"), "a")
audit.sync = true

$stdin.each_line do |line|
  event = JSON.parse(line)
  contact = event["contact"] || {}
  who = contact["wa_id"] || contact["user_id"]
  if who.nil? && event["type"].start_with?("message.")
    puts JSON.generate(id: event["id"], status: "failed", detail: "a message without a sender")
    next
  end
  audit.puts [event["id"], event["type"], who || "-"].join("\t")
  puts JSON.generate(id: event["id"], status: "done", detail: "audited")
end

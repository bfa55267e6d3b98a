#!/usr/bin/env ruby
# Helpdesk tickets: every inbound message becomes a ticket through the helpdesk's HTTP API
# at $HELPDESK_URL. This is the example of asking for a retry: while the helpdesk is down or
# overloaded the handler exits 75, and coregate runs it again later with backoff
# (COREGATE_ATTEMPT counts the runs). Any other failure is a failed attempt.
#
# The event id goes along as the Idempotency-Key, so a retried event opens one ticket, not two.
require "json"
require "net/http"

EX_TEMPFAIL = 75
event = JSON.parse($stdin.read)
# An item coregate could not decode has no customer and no message: the ticket says why.
contact = event["contact"] || {}
customer = contact["wa_id"] || contact["user_id"]
ticket = {
  subject: "WhatsApp #{event["type"].delete_prefix("message.")} from #{contact["name"] || customer || "an unknown sender"}",
  body: event.dig("message", "text") || event["decode_error"] || "(#{event["type"]}: see the event)",
  requester: customer, event: event,
}
uri = URI(ENV.fetch("HELPDESK_URL"))
begin
  response = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https", open_timeout: 3, read_timeout: 5) do |http|
    http.post(uri.request_uri, JSON.generate(ticket),
              "Content-Type" => "application/json", "Idempotency-Key" => ENV["COREGATE_EVENT_ID"])
  end
rescue SystemCallError, SocketError, IOError, Timeout::Error => error
  warn "attempt #{ENV["COREGATE_ATTEMPT"]}: helpdesk unreachable (#{error.message}); trying again later"
  exit EX_TEMPFAIL
end
case response.code.to_i
when 200..299 then puts "ticket opened: #{response.body}"
when 429, 500..599 then warn "helpdesk answered #{response.code}; trying again later"; exit EX_TEMPFAIL
else warn "helpdesk refused the ticket: #{response.code} #{response.body}"; exit 1
end

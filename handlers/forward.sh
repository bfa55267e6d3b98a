#!/bin/sh
# Forwarder: POSTs each event, exactly as it arrived on stdin, to $FORWARD_URL with curl.
#
# The receiver gets the event id in X-Coregate-Event-Id as well, to drop the duplicates that
# at-least-once delivery can bring. A 2xx answer is done; no answer, 408, 429 or a 5xx asks
# coregate to try again later (exit 75); any other answer is a failed attempt.
set -eu
: "${FORWARD_URL:?set FORWARD_URL in the handler's env}"
status=$(curl --silent --show-error --output /dev/null --write-out '%{http_code}' --max-time 10 \
  --header 'Content-Type: application/json' --header "X-Coregate-Event-Id: $COREGATE_EVENT_ID" \
  --data-binary @- "$FORWARD_URL") || exit 75
case $status in
  2??) ;;
  408 | 429 | 5??) echo "$FORWARD_URL answered $status; trying again later" >&2; exit 75 ;;
  *) echo "$FORWARD_URL answered $status" >&2; exit 1 ;;
esac

#!/bin/sh
# Delivery receipts: one CSV row per status or error event, in $COREGATE_STATE_DIR/receipts.csv.
#
# Plain POSIX sh, no jq. The message id and status come from COREGATE_EVENT_ID
# (status:<message id>:<status>, with :<participant> after it for a group message). The few other fields are read from the event
# line with awk: coregate writes it on one line with its keys in a fixed order, so the first
# "key": in the line is the one wanted. Reach for a JSON parser for anything deeper.
set -eu
event=$(cat)
first() { printf '%s\n' "$event" | awk -v key="\"$1\":" '{ i = index($0, key); if (!i) exit
  v = substr($0, i + length(key)); if (v ~ /^null/) exit; sub(/^"/, "", v); match(v, /^[^",}]*/); print substr(v, 1, RLENGTH) }'; }
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

csv="$COREGATE_STATE_DIR/receipts.csv"
if [ ! -e "$csv" ]; then  # ln is atomic: the file appears with its header, or not at all
  printf 'event_id,occurred_at,status,message_id,recipient,error_code\n' > "$csv.$$"
  ln "$csv.$$" "$csv" 2>/dev/null || true; rm -f "$csv.$$"
fi
id=$(quote "$COREGATE_EVENT_ID")
grep -qF "$id," "$csv" && exit 0  # delivered at least once: this one is in already

case $COREGATE_EVENT_ID in
  status:*)
    rest=${COREGATE_EVENT_ID#status:} participant=$(first recipient_participant_id)
    [ -z "$participant" ] || rest=${rest%:"$participant"}
    message_id=${rest%:*} status=${rest##*:} ;;
  *) message_id= status=$COREGATE_EVENT_TYPE ;;  # an error, or an item coregate could not decode
esac
recipient=$(first recipient_id)
[ -n "$recipient" ] || recipient=$(first recipient_user_id)  # a customer known only by a username
printf '%s,%s,%s,%s,%s,%s\n' "$id" "$(first occurred_at)" "$status" "$(quote "$message_id")" \
  "$recipient" "$(first code)" >> "$csv"

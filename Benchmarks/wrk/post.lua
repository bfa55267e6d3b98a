-- wrk request generator shared by every target in the ingest benchmark, so the client does the
-- same work whichever server it measures.
--
-- Each request is the On-Premises inbound text fixture
-- (Tests/CoregateWhatsAppTests/Resources/fixtures/onprem-inbound-text.json) with a new message id
-- and one of 1,000 contacts, so every request stores a new event in coregate (the store
-- deduplicates by message id) and its deliveries spread over many per-contact lanes.
--
--   wrk ... -s post.lua URL -- RUN_ID [unique|duplicate]
--
-- "duplicate" posts one fixed body: after the first request every event is a duplicate.
-- At the end it prints one line, `RESULT {json}`, that the drivers parse.

local template = '{"contacts":[{"profile":{"name":"Dana Whitlock"},"wa_id":"%s"}],'
    .. '"messages":[{"from":"%s","id":"%s","timestamp":"1718371205","type":"text",'
    .. '"text":{"body":"Hi! Is the Friday pickup slot still open?"}}]}'

local headers = { ["Content-Type"] = "application/json" }
local thread_count = 0
local threads = {}

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(threads, thread)
end

function init(args)
    run_id = args[1] or "run"
    mode = args[2] or "unique"
    counter = 0
    prefix = "wamid.bench-" .. run_id .. "-" .. tostring(thread_number) .. "-"
    if mode == "duplicate" then
        fixed = wrk.format("POST", nil, headers, string.format(template, "15550100777", "15550100777", prefix .. "0"))
    end
end

function request()
    if fixed then
        return fixed
    end
    counter = counter + 1
    local contact = tostring(15550100000 + counter % 1000)
    return wrk.format("POST", nil, headers, string.format(template, contact, contact, prefix .. counter))
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
            .. '"mean_us":%.1f,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
        e.connect, e.read, e.write, e.status, e.timeout))
end

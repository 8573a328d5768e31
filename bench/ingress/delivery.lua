-- Every request carries a unique X-GitHub-Delivery, so a deduplicating receiver stores
-- each one; the body (and so its signature) is the same for all.
local counter = 0
local thread_id = 0
local body = nil
local signature = nil

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  local f = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
  body = f:read("*a")
  f:close()
  signature = os.getenv("BENCH_SIGNATURE")
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("bench-%d-%d-%d", os.time(), thread_id, counter),
    ["X-Hub-Signature-256"] = signature,
    ["User-Agent"] = "GitHub-Hookshot/bench",
  }
  return wrk.format("POST", nil, headers, body)
end

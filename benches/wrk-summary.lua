-- Shared by the wrk scripts: at the end of a run, print one JSON line that scripts/bench.sh
-- reads (requests, duration, non-2xx answers, socket errors, p50 and p99 in microseconds).
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end

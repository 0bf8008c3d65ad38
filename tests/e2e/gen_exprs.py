#!/usr/bin/env python3
"""gen_exprs.py: PromQL expressions for the differential test over the data
of gen_openmetrics.py, one per line: range functions, aggregations, binary
operators, math and label functions, subqueries, offset and @, each over
counters, gauges, classic histograms, the target that disappears and the
one that freezes. Deterministic (no randomness), so failures reproduce.
"""

COUNTER = "heed_requests_total"
GAUGES = ["heed_temperature_celsius", "heed_queue_length"]
SPECIAL = ['heed_requests_total{instance="gone:9100"}', 'heed_queue_length{instance="frozen:9100"}']
BUCKET = "heed_request_duration_seconds_bucket"


def main():
    out = []
    sels = [COUNTER] + GAUGES + SPECIAL + ["up", '{__name__=~"heed_.*_celsius|up",instance=~"api-.*"}']
    for s in sels:
        out.append(s)
    for w in ("1m", "5m", "15m"):
        for f in ("rate", "irate", "increase", "resets"):
            for s in (COUNTER, SPECIAL[0]):
                out.append("%s(%s[%s])" % (f, s, w))
        for f in ("delta", "idelta", "deriv", "changes", "avg_over_time", "min_over_time", "max_over_time",
                  "sum_over_time", "count_over_time", "stddev_over_time", "stdvar_over_time",
                  "last_over_time", "present_over_time"):
            for s in GAUGES + [SPECIAL[1]]:
                out.append("%s(%s[%s])" % (f, s, w))
        out.append("quantile_over_time(0.75, heed_temperature_celsius[%s])" % w)
        out.append("predict_linear(heed_temperature_celsius[%s], 600)" % w)
        out.append("absent_over_time(nonexistent[%s])" % w)
    for agg in ("sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"):
        out.append("%s(rate(%s[5m]))" % (agg, COUNTER))
        out.append("%s by (instance) (rate(%s[5m]))" % (agg, COUNTER))
        out.append("%s without (code) (%s)" % (agg, COUNTER))
    out += [
        "topk(3, heed_temperature_celsius)",
        "bottomk(2, rate(heed_requests_total[5m]))",
        "quantile(0.9, heed_queue_length)",
        'count_values("v", heed_queue_length)',
        "sum by (code) (rate(heed_requests_total[5m])) / ignoring(code) group_left sum(rate(heed_requests_total[5m]))",
        'rate(heed_requests_total{code="500"}[5m]) / ignoring(code) rate(heed_requests_total{code="200"}[5m])',
        "heed_temperature_celsius > bool 22",
        "heed_queue_length > 25",
        "heed_queue_length and heed_temperature_celsius > 24",
        "heed_queue_length or nonexistent",
        "heed_queue_length unless on(instance) heed_temperature_celsius > 24",
        "heed_temperature_celsius * on(instance) group_left up",
        "-heed_temperature_celsius % 7",
        "2 ^ (heed_queue_length / 10)",
        "abs(delta(heed_temperature_celsius[5m]))",
        "ceil(heed_temperature_celsius)", "floor(heed_temperature_celsius)",
        "round(heed_temperature_celsius, 0.5)",
        "clamp(heed_queue_length, 10, 40)", "clamp_min(heed_queue_length, 20)", "clamp_max(heed_queue_length, 20)",
        "ln(heed_temperature_celsius)", "log2(heed_queue_length + 1)", "log10(heed_temperature_celsius)",
        "sqrt(heed_queue_length)", "exp(heed_queue_length / 50)",
        "sgn(deriv(heed_temperature_celsius[5m]))",
        "timestamp(heed_temperature_celsius)",
        'label_replace(up, "host", "$1", "instance", "(.*):.*")',
        'label_join(up, "both", "/", "job", "instance")',
        "sort(heed_temperature_celsius)", "sort_desc(heed_queue_length)",
        "absent(nonexistent)", "absent(up)",
        "vector(1) + scalar(sum(up))", "time()", "minute()", "hour()", "day_of_week()", "days_in_month()",
        "histogram_quantile(0.5, rate(%s[5m]))" % BUCKET,
        "histogram_quantile(0.99, sum by (le) (rate(%s[5m])))" % BUCKET,
        "histogram_quantile(0.9, sum by (le, instance) (increase(%s[15m])))" % BUCKET,
        "rate(heed_request_duration_seconds_sum[5m]) / rate(heed_request_duration_seconds_count[5m])",
        "max_over_time(rate(heed_requests_total[5m])[30m:1m])",
        "avg_over_time(heed_temperature_celsius[10m:30s])",
        "min_over_time(heed_queue_length[20m:2m] offset 5m)",
        "heed_queue_length offset 10m",
        "rate(heed_requests_total[5m] offset 30m)",
        "heed_temperature_celsius @ 1700002000.5",
        "rate(heed_requests_total[5m] @ 1700003000.5)",
        "sum(heed_queue_length) - sum(heed_queue_length offset 1h)",
    ]
    for e in out:
        print(e)


if __name__ == "__main__":
    main()

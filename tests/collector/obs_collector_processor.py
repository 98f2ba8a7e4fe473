"""Rotel Python processor that records everything the collector receives, for the tests to read.

Loaded by `rotel-agent start` through `--otlp-with-trace-processor`, `--otlp-with-metrics-processor`
and `--otlp-with-logs-processor` (see tests/src/collector.rs). Rotel calls

    process_spans(resource_spans)      once per received ResourceSpans
    process_metrics(resource_metrics)  once per received ResourceMetrics
    process_logs(resource_logs)        once per received ResourceLogs

with the `rotel_sdk` objects (attributes as in the OTLP protobuf, snake_case). This module leaves
them untouched and appends one JSON object a line to, in the directory named by the environment
variable OBS_COLLECTOR_OUT:

    spans.jsonl    one object per span
    metrics.jsonl  one object per metric data point
    logs.jsonl     one object per log record
    errors.jsonl   one object per exception raised here (the harness fails on any)

The field names are those of the Rust structs in tests/src/collector.rs, which document them.

Rules this file keeps, learnt the hard way:
- It must never raise: an exception escaping a processor panics Rotel's pipeline task and the whole
  agent exits ("Failed to run agent"). Every entry point catches everything and records it in
  errors.jsonl instead.
- Only the standard library: Rotel embeds the system's libpython3.11, not the venv, so sys.path
  is the system's.
- One os.write per batch, on a file opened with O_APPEND, so that lines written by concurrent
  pipeline tasks never interleave; the reader ignores a last line without its newline.
- Non-finite floats are written as the strings "NaN", "Infinity", "-Infinity" (strict JSON).
"""

import json
import math
import os
import time
import traceback


def _out_dir():
    return os.environ.get("OBS_COLLECTOR_OUT") or "."


def _append(file_name, records):
    if not records:
        return
    data = "".join(json.dumps(r, allow_nan=False, separators=(",", ":")) + "\n" for r in records)
    data = data.encode("utf-8")
    fd = os.open(
        os.path.join(_out_dir(), file_name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
    )
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _record_error(signal):
    try:
        _append(
            "errors.jsonl",
            [{"signal": signal, "time": time.time(), "error": traceback.format_exc()}],
        )
    except BaseException:  # noqa: BLE001 - nothing may escape into Rotel
        pass


def _float(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _hex(b):
    if b is None:
        return ""
    return bytes(b).hex()


def _any(value):
    """An AnyValue's Python value as JSON: str, int, float, bool, list, object or null.

    Bytes become lower-case hex strings.
    """
    if value is None:
        return None
    v = getattr(value, "value", value)
    if v is None or isinstance(v, (bool, str, int)):
        return v
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    name = type(v).__name__
    if name == "KeyValueList":
        return _attrs(v)
    # ArrayValue (or any other sequence the SDK hands over).
    out = []
    try:
        i = 0
        while True:
            try:
                item = v[i]
            except IndexError:
                break
            out.append(_any(item))
            i += 1
    except TypeError:
        return repr(v)
    return out


def _attrs(kvs):
    out = {}
    if kvs is None:
        return out
    i = 0
    while True:
        try:
            kv = kvs[i]
        except IndexError:
            break
        out[kv.key] = _any(kv.value)
        i += 1
    return out


def _resource(resource_holder):
    res = resource_holder.resource
    if res is None:
        return {}, 0
    return _attrs(res.attributes), getattr(res, "dropped_attributes_count", 0)


def _scope(scope_holder):
    scope = scope_holder.scope
    if scope is None:
        return {"scope_name": "", "scope_version": "", "scope_attributes": {}}
    return {
        "scope_name": scope.name or "",
        "scope_version": scope.version or "",
        "scope_attributes": _attrs(getattr(scope, "attributes", None)),
    }


def _span(span):
    status = span.status
    return {
        "name": span.name,
        "trace_id": _hex(span.trace_id),
        "span_id": _hex(span.span_id),
        "parent_span_id": _hex(span.parent_span_id),
        "trace_state": span.trace_state or "",
        "flags": int(span.flags or 0),
        "kind": int(span.kind or 0),
        "status_code": int(status.code) if status is not None else 0,
        "status_message": (status.message or "") if status is not None else "",
        "start_time_unix_nano": int(span.start_time_unix_nano),
        "end_time_unix_nano": int(span.end_time_unix_nano),
        "attributes": _attrs(span.attributes),
        "dropped_attributes_count": int(span.dropped_attributes_count or 0),
        "events": [
            {
                "name": e.name,
                "time_unix_nano": int(e.time_unix_nano),
                "attributes": _attrs(e.attributes),
            }
            for e in span.events
        ],
        "dropped_events_count": int(span.dropped_events_count or 0),
        "links": [
            {
                "trace_id": _hex(link.trace_id),
                "span_id": _hex(link.span_id),
                "trace_state": link.trace_state or "",
                "attributes": _attrs(link.attributes),
            }
            for link in span.links
        ],
        "dropped_links_count": int(span.dropped_links_count or 0),
    }


def process_spans(resource_spans):
    try:
        resource, _ = _resource(resource_spans)
        received = time.time_ns()
        records = []
        for scope_spans in resource_spans.scope_spans:
            scope = _scope(scope_spans)
            for span in scope_spans.spans:
                record = {"resource": resource, **scope, "received_unix_nano": received}
                record.update(_span(span))
                records.append(record)
        _append("spans.jsonl", records)
    except BaseException:  # noqa: BLE001 - an exception here would kill the agent
        _record_error("traces")


_TEMPORALITY = {0: "unspecified", 1: "delta", 2: "cumulative"}


def _temporality(t):
    try:
        return _TEMPORALITY.get(int(t), str(int(t)))
    except Exception:  # noqa: BLE001
        return str(t)


def _exemplars(point):
    out = []
    for ex in getattr(point, "exemplars", None) or []:
        value, is_int = _number(ex.value)
        out.append(
            {
                "time_unix_nano": int(ex.time_unix_nano),
                "trace_id": _hex(ex.trace_id),
                "span_id": _hex(ex.span_id),
                "value": value,
                "int_value": value if is_int else None,
                "filtered_attributes": _attrs(ex.filtered_attributes),
            }
        )
    return out


def _number(value):
    """(value, is_int) of a NumberDataPointValue / ExemplarValue, or (None, False) if absent."""
    if value is None:
        return None, False
    is_int = type(value).__name__.endswith("AsInt")
    v = value[0]
    if is_int:
        return int(v), True
    return _float(v), False


def _point_common(point):
    return {
        "attributes": _attrs(point.attributes),
        "start_time_unix_nano": int(point.start_time_unix_nano or 0),
        "time_unix_nano": int(point.time_unix_nano or 0),
        "flags": int(point.flags or 0),
    }


def _metric_points(metric):
    """[(metric-level fields, [point records])] for one Metric."""
    data = metric.data
    kind = type(data).__name__ if data is not None else "None"
    if data is None:
        # Rotel's OTLP/JSON decoder leaves `data` empty when it cannot read the points (for
        # example int64 fields sent as JSON strings): record one point-less line so that a test
        # sees the metric arrived, and why its values did not.
        return {"type": "none"}, [{}]
    inner = data[0]
    if kind.endswith("Sum"):
        head = {
            "type": "sum",
            "monotonic": bool(inner.is_monotonic),
            "temporality": _temporality(inner.aggregation_temporality),
        }
    elif kind.endswith("Gauge"):
        head = {"type": "gauge"}
    elif kind.endswith("ExponentialHistogram"):
        head = {
            "type": "exponential_histogram",
            "temporality": _temporality(inner.aggregation_temporality),
        }
    elif kind.endswith("Histogram"):
        head = {"type": "histogram", "temporality": _temporality(inner.aggregation_temporality)}
    elif kind.endswith("Summary"):
        head = {"type": "summary"}
    else:
        head = {"type": kind}
    points = []
    for p in inner.data_points:
        rec = _point_common(p)
        t = head["type"]
        if t in ("sum", "gauge"):
            value, is_int = _number(p.value)
            rec["value"] = value
            rec["int_value"] = value if is_int else None
            rec["exemplars"] = _exemplars(p)
        elif t == "histogram":
            rec["count"] = int(p.count)
            rec["sum"] = _float(p.sum)
            rec["bucket_bounds"] = [_float(b) for b in p.explicit_bounds]
            rec["bucket_counts"] = [int(c) for c in p.bucket_counts]
            rec["min"] = _float(p.min)
            rec["max"] = _float(p.max)
            rec["exemplars"] = _exemplars(p)
        elif t == "exponential_histogram":
            rec["count"] = int(p.count)
            rec["sum"] = _float(p.sum)
            rec["min"] = _float(p.min)
            rec["max"] = _float(p.max)
            rec["scale"] = int(p.scale)
            rec["zero_count"] = int(p.zero_count)
            for side in ("positive", "negative"):
                b = getattr(p, side)
                rec[side + "_offset"] = int(b.offset) if b is not None else 0
                rec[side + "_bucket_counts"] = (
                    [int(c) for c in b.bucket_counts] if b is not None else []
                )
            rec["exemplars"] = _exemplars(p)
        elif t == "summary":
            rec["count"] = int(p.count)
            rec["sum"] = _float(p.sum)
            rec["quantiles"] = [[_float(q.quantile), _float(q.value)] for q in p.quantile_values]
        points.append(rec)
    return head, points


def process_metrics(resource_metrics):
    try:
        resource, _ = _resource(resource_metrics)
        received = time.time_ns()
        records = []
        for scope_metrics in resource_metrics.scope_metrics:
            scope = _scope(scope_metrics)
            for metric in scope_metrics.metrics:
                head, points = _metric_points(metric)
                for point in points:
                    record = {
                        "resource": resource,
                        **scope,
                        "received_unix_nano": received,
                        "name": metric.name,
                        "description": metric.description or "",
                        "unit": metric.unit or "",
                    }
                    record.update(head)
                    record.update(point)
                    records.append(record)
        _append("metrics.jsonl", records)
    except BaseException:  # noqa: BLE001 - an exception here would kill the agent
        _record_error("metrics")


def process_logs(resource_logs):
    try:
        resource, _ = _resource(resource_logs)
        received = time.time_ns()
        records = []
        for scope_logs in resource_logs.scope_logs:
            scope = _scope(scope_logs)
            for log in scope_logs.log_records:
                records.append(
                    {
                        "resource": resource,
                        **scope,
                        "received_unix_nano": received,
                        "time_unix_nano": int(log.time_unix_nano or 0),
                        "observed_time_unix_nano": int(log.observed_time_unix_nano or 0),
                        "severity_number": int(log.severity_number or 0),
                        "severity_text": log.severity_text or "",
                        "body": _any(log.body),
                        "attributes": _attrs(log.attributes),
                        "trace_id": _hex(log.trace_id),
                        "span_id": _hex(log.span_id),
                        "flags": int(log.flags or 0),
                        "event_name": getattr(log, "event_name", "") or "",
                    }
                )
        _append("logs.jsonl", records)
    except BaseException:  # noqa: BLE001 - an exception here would kill the agent
        _record_error("logs")

"""Judges the KPL aggregated record format with aws-kinesis-agg, AWS's Python library.

Used by crates/kinesis-client/tests/kpl_peer.rs. Reads JSON on stdin, writes JSON on stdout:

  kpl_agg.py deagg   stdin:  [{"pk": str, "data_hex": str}, ...]  (Kinesis records, ours)
                     stdout: [[{"pk", "ehk", "data_b64", "sub", "aggregated"}, ...], ...]
                             one list of user records per input record, as the library's
                             deaggregator yields them (a record it does not see as aggregated
                             comes back whole, with "aggregated": false).

  kpl_agg.py agg     stdin:  [{"pk": str, "ehk": str | null, "data_hex": str}, ...]
                     stdout: [{"pk", "ehk", "data_hex", "records"}, ...]
                             the aggregated Kinesis records the library's RecordAggregator
                             produces for those user records, in order.
"""
import base64
import json
import sys

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import iter_deaggregate_records


def as_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def deagg(records):
    out = []
    for seq, rec in enumerate(records):
        # A record as Lambda delivers it from a Kinesis event source: data in base64.
        lambda_record = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "sequenceNumber": str(seq),
                "approximateArrivalTimestamp": 0,
                "partitionKey": rec["pk"],
                "data": base64.b64encode(bytes.fromhex(rec["data_hex"])).decode("ascii"),
            }
        }
        users = []
        for user in iter_deaggregate_records([lambda_record]):
            k = user["kinesis"]
            users.append(
                {
                    "pk": as_str(k["partitionKey"]),
                    "ehk": as_str(k.get("explicitHashKey")),
                    "data_b64": as_str(k["data"]),
                    "sub": k.get("subSequenceNumber"),
                    "aggregated": bool(k.get("aggregated", False)),
                }
            )
        out.append(users)
    return out


def agg(records):
    aggregator = RecordAggregator()
    full = []

    def emit(agg_record):
        pk, ehk, data = agg_record.get_contents()
        full.append(
            {
                "pk": as_str(pk),
                "ehk": as_str(ehk),
                "data_hex": data.hex(),
                "records": agg_record.get_num_user_records(),
            }
        )

    for rec in records:
        done = aggregator.add_user_record(rec["pk"], bytes.fromhex(rec["data_hex"]), rec["ehk"])
        if done is not None:
            emit(done)
    last = aggregator.clear_and_get()
    if last is not None:
        emit(last)
    return full


def main():
    mode = sys.argv[1]
    records = json.load(sys.stdin)
    if mode == "deagg":
        result = deagg(records)
    elif mode == "agg":
        result = agg(records)
    else:
        sys.exit("usage: kpl_agg.py deagg|agg < records.json")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

"""The fake Salesforce renders its pages cheaply and exactly as the wire formats say.

A client benchmark must measure the client, not the fake: the fake renders a Bulk
2.0 results page column by column in C, sorts a query's rows on keys computed
in C, and encodes JSON with orjson. These tests hold the bytes to the formats
(Bulk 2.0 CSV as ``csv.writer(QUOTE_ALL)`` writes it over ``csv_value``; JSON as
the json module writes it) on awkward values, and hold the work to a bounded
number of Python calls per page, however many rows and fields it has.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import random
import sys
from collections import UserDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest

from demo.fake_http.messages import encode_json
from demo.fake_salesforce import FakeSalesforce, soql
from demo.fake_salesforce.bulk_csv import csv_value
from demo.fake_salesforce.soql.values import sort_key

TOKEN = "demo-token"
VERSION = "59.0"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

# Values that stress every branch of the renderer: quotes, delimiters, newlines,
# NUL, unicode, nulls, booleans, ints, floats (tiny, huge, non-finite), a
# non-datetime text ending in +0000, a missing key and a str subclass.
AWKWARD_TEXT = [
    'Deal "1", Société – Ω 🚀',
    "Call back,\nthen send the MSA",
    "ends like a datetime +0000",
    "",
    None,
    "tab\there|pipe^caret`back;semi",
    "NUL \x00 inside",
    '"',
]
NUMBERS = [1000.5, 2000, None, 1e-05, 1.5e16, 0.1, -3, float("nan"), float("inf")]
MIXED = [1000.5, 2000, True, "text, with comma", None, False, Decimal("1.10")]


class Label(str):
    """A str subclass, as a fixture might hand over."""


def awkward_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = {
            "Id": f"006{i:015d}",
            "Name": AWKWARD_TEXT[i % len(AWKWARD_TEXT)],
            "StageName": Label("Prospecting") if i % 5 == 0 else "Negotiation",
            "Amount": NUMBERS[i % len(NUMBERS)],
            "Probability": None if i % 3 == 0 else i % 100,
            "IsClosed": [True, False, None][i % 3],
            "NextStep": MIXED[i % len(MIXED)],
            "CloseDate": "2026-03-31",
            "CreatedDate": "2026-01-01T00:00:00.000+0000",
            "SystemModstamp": f"2026-01-{1 + i % 28:02d}T10:00:{i % 60:02d}.000+0000",
            "IsDeleted": i % 11 == 0,
        }
        if i % 13 == 0:
            del row["NextStep"]  # the field missing from a record reads as null
        rows.append(row)
    random.Random(n).shuffle(rows)
    return rows


FIELDS = (
    "Id",
    "Name",
    "StageName",
    "Amount",
    "Probability",
    "IsClosed",
    "NextStep",
    "CloseDate",
    "CreatedDate",
    "SystemModstamp",
    "IsDeleted",
)
DATETIMES = frozenset({"CreatedDate", "SystemModstamp"})


def expected_csv(rows: list[dict], delimiter: str = ",", line_ending: str = "\n") -> bytes:
    """Bulk 2.0 CSV by the book: csv.writer, every value quoted, over csv_value."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_ending, quoting=csv.QUOTE_ALL)
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([csv_value(f, row.get(f), DATETIMES) for f in FIELDS])
    return out.getvalue().encode()


def call(fake: FakeSalesforce, method: str, target: str, body: bytes = b"", **headers):
    return fake.handle(fake.route(method, target, {**HEADERS, **headers}, body))


def bulk_pages(fake: FakeSalesforce, soql: str, page: int, **spec) -> list:
    body = json.dumps({"operation": "queryAll", "query": soql, **spec}).encode()
    job = json.loads(call(fake, "POST", f"/services/data/v{VERSION}/jobs/query", body).body)
    call(fake, "GET", f"/services/data/v{VERSION}/jobs/query/{job['id']}")
    pages, locator = [], ""
    while True:
        query = f"maxRecords={page}" + (f"&locator={locator}" if locator else "")
        target = f"/services/data/v{VERSION}/jobs/query/{job['id']}/results?{query}"
        response = call(fake, "GET", target)
        assert response.status == 200, response.body
        pages.append(response)
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            return pages


def rest_pages(fake: FakeSalesforce, soql: str, batch: int) -> list:
    options = {"Sforce-Query-Options": f"batchSize={batch}"}
    target = f"/services/data/v{VERSION}/queryAll?q={soql.replace(' ', '+')}"
    pages = [call(fake, "GET", target, **options)]
    while "nextRecordsUrl" in (page := json.loads(pages[-1].body)):
        pages.append(call(fake, "GET", page["nextRecordsUrl"], **options))
    return pages


@contextmanager
def python_calls() -> Iterator[list[int]]:
    """Count Python-level function calls (C functions are not counted).

    The garbage collector is emptied first and paused while counting: a collection
    inside the window runs the finalizers of whatever earlier tests on this worker left
    behind (connections, Dagster objects), and those are not the page's calls."""
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            count[0] += 1

    gc.collect()
    gc.disable()
    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(None)
        gc.enable()


SELECT = f"SELECT {', '.join(FIELDS)} FROM Opportunity"


@pytest.mark.parametrize(
    ("delimiter", "column_delimiter", "line_ending"),
    [(",", "COMMA", "LF"), ("|", "PIPE", "CRLF"), ("\t", "TAB", "LF"), ("`", "BACKQUOTE", "LF")],
)
def test_a_bulk_results_page_is_csv_as_bulk_2_writes_it(delimiter, column_delimiter, line_ending):
    rows = awkward_rows(500)
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        pages = bulk_pages(
            fake, SELECT, 120, columnDelimiter=column_delimiter, lineEnding=line_ending
        )
    eol = "\r\n" if line_ending == "CRLF" else "\n"
    assert [p.headers["Sforce-NumberOfRecords"] for p in pages] == ["120"] * 4 + ["20"]
    for n, page in enumerate(pages):
        assert page.body == expected_csv(rows[n * 120 : (n + 1) * 120], delimiter, eol)
    # Spot checks of the format itself, not only agreement with csv.writer:
    first = pages[0].body.decode()
    assert first.startswith(delimiter.join(f'"{f}"' for f in FIELDS) + eol)
    assert '"2026-01-01T00:00:00.000Z"' in first  # datetimes end in Z
    assert '"ends like a datetime +0000"' in first  # other text is left alone
    assert f'{delimiter}""{delimiter}' in first  # nulls are empty
    assert '"true"' in first and '"false"' in first
    assert '"Deal ""1"", Société – Ω 🚀"' in first  # quotes doubled


def test_a_bulk_page_of_rows_that_are_not_dicts_renders_the_same():
    rows = awkward_rows(60)
    with FakeSalesforce(
        records={"Opportunity": [UserDict(r) for r in rows]}, access_token=TOKEN
    ) as fake:
        (page,) = bulk_pages(fake, SELECT, 1000)
    assert page.body == expected_csv(rows)


def test_an_empty_bulk_result_is_the_header_alone():
    with FakeSalesforce(records={"Opportunity": awkward_rows(5)}, access_token=TOKEN) as fake:
        (page,) = bulk_pages(fake, SELECT + " WHERE Name = 'nobody'", 100)
    assert page.body == expected_csv([])


@pytest.mark.parametrize(("column_delimiter", "line_ending"), [("COMMA", "LF"), ("PIPE", "CRLF")])
def test_an_org_rendered_ahead_serves_the_same_bytes_and_renders_nothing_per_page(
    column_delimiter, line_ending
):
    delimiter = {"COMMA": ",", "PIPE": "|"}[column_delimiter]
    eol = "\r\n" if line_ending == "CRLF" else "\n"
    rows = awkward_rows(500)
    spec = {"columnDelimiter": column_delimiter, "lineEnding": line_ending}
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        assert (
            fake.prerender_bulk("Opportunity", FIELDS, delimiter=delimiter, line_ending=eol) == 500
        )
        pages = bulk_pages(fake, SELECT, 120, **spec)
        # A page is a slice of what was rendered: a handful of Python calls, where
        # rendering it (this org's mixed NextStep column goes value by value) takes
        # hundreds.
        body = json.dumps({"operation": "queryAll", "query": SELECT, **spec}).encode()
        job = json.loads(call(fake, "POST", f"/services/data/v{VERSION}/jobs/query", body).body)
        call(fake, "GET", f"/services/data/v{VERSION}/jobs/query/{job['id']}")
        target = f"/services/data/v{VERSION}/jobs/query/{job['id']}/results?maxRecords=120"
        with python_calls() as calls:
            first = call(fake, "GET", target)
    assert [p.headers["Sforce-NumberOfRecords"] for p in pages] == ["120"] * 4 + ["20"]
    for n, page in enumerate(pages):
        assert page.body == expected_csv(rows[n * 120 : (n + 1) * 120], delimiter, eol)
    assert first.body == pages[0].body
    assert calls[0] < 60


def test_rows_changed_after_the_org_was_rendered_ahead_are_served_as_they_are_now():
    rows = awkward_rows(300)
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        fake.prerender_bulk("Opportunity", FIELDS)
        changed = rows[130]["Id"]
        fake.update("Opportunity", changed, Name='Renamed "after" rendering', Amount=5.25)
        fake.purge("Opportunity", rows[10]["Id"])
        pages = bulk_pages(fake, SELECT, 100)
        now = fake.records("Opportunity")
        ordered = bulk_pages(fake, SELECT + " ORDER BY SystemModstamp, Id", 100)
    assert b'"Renamed ""after"" rendering"' in b"".join(p.body for p in pages)
    for n, page in enumerate(pages):
        assert page.body == expected_csv(now[n * 100 : (n + 1) * 100])
    by_stamp = sorted(now, key=lambda r: (r["SystemModstamp"], r["Id"]))
    assert b"".join(p.body.split(b"\n", 1)[1] for p in ordered) == b"".join(
        expected_csv(by_stamp[n : n + 100]).split(b"\n", 1)[1] for n in range(0, len(now), 100)
    )


def test_a_bulk_page_costs_a_bounded_number_of_python_calls_not_one_per_value():
    rows = [
        {
            **r,
            "Amount": r["Amount"] if r["Amount"] == r["Amount"] != float("inf") else None,
            "NextStep": str(r.get("NextStep")),
            # NUL in a text and a str subclass take the per-value path: not here.
            "Name": None if r["Name"] is None else r["Name"].replace("\x00", ""),
            "StageName": str(r["StageName"]),
        }
        for r in awkward_rows(10_000)
    ]
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        body = json.dumps({"operation": "queryAll", "query": SELECT}).encode()
        job = json.loads(call(fake, "POST", f"/services/data/v{VERSION}/jobs/query", body).body)
        call(fake, "GET", f"/services/data/v{VERSION}/jobs/query/{job['id']}")
        target = f"/services/data/v{VERSION}/jobs/query/{job['id']}/results?maxRecords=10000"
        with python_calls() as calls:
            page = call(fake, "GET", target)
    assert page.headers["Sforce-NumberOfRecords"] == "10000"
    assert page.body.count(b"\n") == 10_001 + sum(str(r["Name"]).count("\n") for r in rows) + sum(
        r["NextStep"].count("\n") for r in rows
    )
    # 110,000 values; one Python call per value (csv_value) was the old renderer.
    assert calls[0] < 1000


def test_rest_pages_are_the_records_the_query_selects_in_order_with_attributes():
    rows = [r for r in awkward_rows(700) if r["Amount"] == r["Amount"] != float("inf")]
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        pages = rest_pages(fake, f"{SELECT} ORDER BY SystemModstamp, Id", 200)
    records = [r for p in pages for r in json.loads(p.body)["records"]]
    ordered = sorted(rows, key=lambda r: (r["SystemModstamp"], r["Id"]))
    assert [r["Id"] for r in records] == [r["Id"] for r in ordered]
    assert records[0] == {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v{VERSION}/sobjects/Opportunity/{ordered[0]['Id']}",
        },
        **{f: ordered[0].get(f) for f in FIELDS if f != "NextStep"},
        "NextStep": str(v) if isinstance(v := ordered[0].get("NextStep"), Decimal) else v,
    }
    assert list(records[0]) == ["attributes", *FIELDS]


@pytest.mark.parametrize(
    "order",
    [
        "SystemModstamp DESC, Id",
        "Name, Id",
        "Name DESC NULLS LAST, Id DESC",
        "Amount, Id",
        "Probability DESC, Id",
        "IsClosed, CloseDate, Id",
    ],
)
def test_order_by_sorts_as_soql_does_whatever_the_keys(order):
    rows = awkward_rows(300)
    # A naive datetime, which the keys computed in C leave to the Python keys.
    rows[7] = {**rows[7], "SystemModstamp": "2026-01-05T10:00:00"}
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        pages = rest_pages(fake, f"{SELECT} ORDER BY {order}", 2000)
        query = soql.parse(
            f"{SELECT} ORDER BY {order}", {"Opportunity": fake._schema("Opportunity")[0]}
        )
    # SOQL's order by its definition: one stable sort per key, last key first,
    # each on sort_key's (null rank, normalised value) per record.
    expected = list(rows)
    for item in reversed(query.order_by):
        expected.sort(key=sort_key(item), reverse=item.descending)
    served = [r["Id"] for p in pages for r in json.loads(p.body)["records"]]
    assert served == [r["Id"] for r in expected]
    assert len(served) == 300


def test_a_sorted_query_costs_python_calls_per_page_row_not_per_org_row():
    rows = awkward_rows(10_000)
    text = "SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp, Id"
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        target = f"/services/data/v{VERSION}/queryAll?q={text.replace(' ', '+')}"
        with python_calls() as calls:
            page = call(fake, "GET", target, **{"Sforce-Query-Options": "batchSize=200"})
    assert len(json.loads(page.body)["records"]) == 200
    # Sorting 10,000 rows on two keys with a Python key function was 20,000 calls.
    assert calls[0] < 2000


@pytest.mark.parametrize(
    "payload",
    [
        {"a": 'x\x01\x1f\x7f\u2028é"\\ \n\t/</', "n": [1, -0.0, 2**63 - 1, True, None, 1.0]},
        {"when": date(2026, 1, 2), "amount": Decimal("1.10"), "big": 2**70},
        {1: "non-string key", None: 2, "tiny": 0.25},
    ],
)
def test_json_bodies_are_what_the_json_module_writes(payload):
    assert encode_json(payload) == json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode("utf-8")


def test_a_non_finite_number_goes_out_as_null_json_has_no_nan():
    # Salesforce cannot hold NaN or infinity; a fixture that does gets valid JSON.
    rows = [
        {"Id": "006000000000000001", "Amount": float("nan")},
        {"Id": "006000000000000002", "Amount": float("-inf")},
    ]
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        (page,) = rest_pages(fake, "SELECT Id, Amount FROM Opportunity ORDER BY Id", 2000)
    assert b'"Amount":null' in page.body
    assert [r["Amount"] for r in json.loads(page.body)["records"]] == [None, None]


def reference_page(rows: list[dict], fields: tuple[str, ...], total: int, done: bool, next_url):
    """A REST query page by the book, as the json module writes it."""
    page: dict = {"totalSize": total, "done": done}
    if next_url:
        page["nextRecordsUrl"] = next_url
    page["records"] = [
        {
            "attributes": {
                "type": "Opportunity",
                "url": f"/services/data/v{VERSION}/sobjects/Opportunity/{row.get('Id')}",
            },
            **{f: row.get(f) for f in fields},
        }
        for row in rows
    ]
    return json.dumps(page, ensure_ascii=False, separators=(",", ":"), default=str).encode()


@pytest.mark.parametrize(
    "shape",
    ["every field in order", "fields in another order", "a field missing", "nested same key"],
)
def test_a_rest_page_is_byte_for_byte_what_the_json_module_writes(shape):
    finite = [r for r in awkward_rows(600) if r["Amount"] == r["Amount"] != float("inf")]
    # orjson writes 1e-05 as 0.00001 (the same number): bytes compare without it.
    rows = [{f: row.get(f) for f in FIELDS} | {"Amount": 0.5} for row in finite[:5]]
    rows += [{f: row.get(f) for f in FIELDS} for row in finite[5:] if row["Amount"] != 1e-05]
    if shape == "fields in another order":
        rows = [dict(reversed(row.items())) for row in rows]
    if shape == "a field missing":
        del rows[3]["Name"]
    if shape == "nested same key":
        rows[5]["NextStep"] = [{"Id": 1}, {"Id": 2}]  # '},{"Id":' inside a record
    by_order = sorted(rows, key=lambda r: r["Id"])
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        pages = rest_pages(fake, f"{SELECT} ORDER BY Id", 200)
    assert len(pages) == 3
    for n, page in enumerate(pages):
        chunk = by_order[n * 200 : (n + 1) * 200]
        next_url = json.loads(page.body).get("nextRecordsUrl")
        assert page.body == reference_page(chunk, FIELDS, len(rows), n == 2, next_url)


def test_a_rest_page_costs_a_bounded_number_of_python_calls_not_one_per_record():
    finite = [r for r in awkward_rows(6000) if r["Amount"] == r["Amount"] != float("inf")]
    rows = [{f: row.get(f) for f in FIELDS} for row in finite]
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        first = rest_pages(fake, f"{SELECT} ORDER BY Id", 2000)[0]
        with python_calls() as calls:
            page = call(fake, "GET", json.loads(first.body)["nextRecordsUrl"])
    assert len(json.loads(page.body)["records"]) == 2000
    # One Python call per record (a dict built for each) was the old page.
    assert calls[0] < 200


def test_a_tiny_float_is_written_in_another_notation_but_reads_as_the_same_number():
    rows = [{"Id": "006000000000000001", "Amount": 1e-05}]
    with FakeSalesforce(records={"Opportunity": rows}, access_token=TOKEN) as fake:
        (page,) = rest_pages(fake, "SELECT Id, Amount FROM Opportunity", 2000)
    assert b'"Amount":0.00001' in page.body
    assert json.loads(page.body)["records"][0]["Amount"] == 1e-05

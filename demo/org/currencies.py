"""The demo org's currencies: corporate USD, some EUR and GBP accounts, dated rates.

A multi-currency Salesforce org describes ``Opportunity.CurrencyIsoCode`` and has
``CurrencyType`` (one static rate per currency) and, with advanced currency
management, ``DatedConversionRate`` ranges ``[StartDate, NextStartDate)`` from
0001-01-01 to 9999-12-31. A rate is units of the currency per one US dollar.
Deals take their account's currency; amounts (and their history) are in it.

`corporate_amount` is the one conversion the demo does: the HubSpot rendering
sends it as ``amount_in_home_currency`` and the truth sums it, so both CRMs give
the marts the same corporate figures. It draws from its own random stream, so
turning currencies on or off changes no other row of the org.
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass

from demo.org.context import Context
from demo.org.wire import IdSequence, Table, format_date, format_datetime

CORPORATE = "USD"
FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"
# (code, static CurrencyType rate, share of accounts, active): four significant
# digits, as an admin types them.
_CURRENCIES = (
    ("USD", 1.0, 0.7, True),
    ("EUR", 0.9213, 0.2, True),
    ("GBP", 0.7871, 0.1, True),
    ("CAD", 1.3642, 0.0, False),  # set up once, never used
)
# Days before as_of on which the dated rates change.
_RATE_CHANGES = (640, 455, 270, 90)
_RATE_DRIFT = 0.04


@dataclass(frozen=True)
class Currencies:
    """Static and dated rates per currency, and each account's currency."""

    static: dict[str, float]
    # code -> sorted [(start day number, rate)]; the first starts at 0001-01-01
    dated: dict[str, list[tuple[int, float]]]
    account_currency: list[str]

    def rate(self, code: str, close_date: str | None) -> float:
        """Units of `code` per corporate unit on `close_date` (the static rate without one)."""
        ranges = self.dated.get(code)
        day = _day(close_date)
        if not ranges or day is None:
            return self.static[code]
        starts = [start for start, _ in ranges]
        return ranges[bisect.bisect_right(starts, day) - 1][1]

    def corporate_amount(self, code: str | None, amount: float | None, close_date: str | None):
        """`amount` in the corporate currency, converted as Salesforce converts a deal."""
        if amount is None or code is None:
            return amount
        return amount / self.rate(code, close_date)


def plan_currencies(size: str, seed: int, as_of_day: int, accounts: int) -> Currencies:
    """Rates and account currencies from their own random stream."""
    rng = random.Random(f"trustgap-demo-currencies:{size}:{seed}")
    codes = [c for c, _, share, _ in _CURRENCIES if share]
    shares = [share for _, _, share, _ in _CURRENCIES if share]
    static = {code: rate for code, rate, _, _ in _CURRENCIES}
    dated = {}
    for code, rate, _, _ in _CURRENCIES:
        if code == CORPORATE:
            continue
        ranges = [(_day(FIRST_DAY), rate)]
        for days_before in _RATE_CHANGES:
            drifted = rate * (1 + rng.uniform(-_RATE_DRIFT, _RATE_DRIFT))
            ranges.append((as_of_day - days_before, float(f"{drifted:.4g}")))
        dated[code] = ranges
    chosen = rng.choices(codes, weights=shares, k=accounts)
    return Currencies(static=static, dated=dated, account_currency=chosen)


def write_currency_rows(currencies: Currencies, tables: dict[str, Table], setup: str) -> None:
    """The CurrencyType and DatedConversionRate rows (ids from a sequence of their own)."""
    ids = {name: IdSequence(name, 62**6 + 4242) for name in ("CurrencyType", "DatedConversionRate")}
    for code, rate, _, active in _CURRENCIES:
        tables["CurrencyType"].add(
            Id=ids["CurrencyType"](),
            IsoCode=code,
            ConversionRate=rate,
            DecimalPlaces=2,
            IsCorporate=code == CORPORATE,
            IsActive=active,
            SystemModstamp=setup,
        )
    for code, ranges in currencies.dated.items():
        ends = [start for start, _ in ranges[1:]] + [None]
        for (start, rate), end in zip(ranges, ends, strict=True):
            tables["DatedConversionRate"].add(
                Id=ids["DatedConversionRate"](),
                IsoCode=code,
                ConversionRate=rate,
                StartDate=FIRST_DAY if start == ranges[0][0] else format_date(start),
                NextStartDate=LAST_DAY if end is None else format_date(end),
                SystemModstamp=setup,
            )


def write_currencies(ctx: Context, currencies: Currencies, deal_accounts: list[int]) -> None:
    """Each deal in its account's currency, and the org's rate objects."""
    opportunities = ctx.tables["Opportunity"]
    column = opportunities.fields.index("CurrencyIsoCode")
    opportunities.rows = [
        (*row[:column], currencies.account_currency[deal_accounts[i]], *row[column + 1 :])
        for i, row in enumerate(opportunities.rows)
    ]
    write_currency_rows(currencies, ctx.tables, format_datetime(ctx.window_start))


def currency_truth(ctx: Context, currencies: Currencies | None) -> dict:
    """Deals per currency and the corporate value of open and won deals (planted truth)."""
    opportunities = ctx.tables["Opportunity"]
    at = {name: opportunities.fields.index(name) for name in opportunities.fields}
    per_currency: dict[str, int] = {}
    open_value = won_value = 0.0
    for row in opportunities.rows:
        code = row[at["CurrencyIsoCode"]]
        per_currency[code or "none"] = per_currency.get(code or "none", 0) + 1
        amount = row[at["Amount"]]
        if currencies is not None:
            amount = currencies.corporate_amount(code, amount, row[at["CloseDate"]])
        if amount is None or amount < 0:
            continue
        if not row[at["IsClosed"]]:
            open_value += amount
        elif row[at["IsWon"]]:
            won_value += amount
    return {
        "multi_currency": currencies is not None,
        "corporate": None if currencies is None else CORPORATE,
        "deals_per_currency": dict(sorted(per_currency.items())),
        "open_value_corporate": round(open_value, 2),
        "won_value_corporate": round(won_value, 2),
        "conversion": "amount / rate, with the DatedConversionRate whose [StartDate, "
        "NextStartDate) holds the CloseDate, else the CurrencyType rate; history amounts "
        "with the deal's current rate",
    }


def _day(date_text: str | None) -> int | None:
    """Day number of a YYYY-MM-DD date (None for a missing or malformed one)."""
    if not date_text:
        return None
    try:
        date = datetime.date.fromisoformat(date_text)
    except ValueError:
        return None
    return (date - datetime.date(1970, 1, 1)).days
